"""What a weights file says about itself: one dataclass per kind of model, written and read here.

Every ``.safetensors`` we write carries the net's ``arch`` and ``config`` (so the file alone
rebuilds it) and, for a model a pipeline runs, its ``task`` and what the pipeline needs to know:
a translation model's training size and input kind, an upscaler's factor... Those fields were
read with silent defaults in several places; now a file is parsed once, on load, into the
dataclass of its task, and a missing or ill-typed field is one line naming the file and the
field. Fields this version does not know (a newer file's) are kept in ``extra``, not refused.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .checkpoint import CheckpointError


@dataclass(frozen=True, kw_only=True)
class WeightsMeta:
    """A net and how it was made; the base of every task's metadata (a bare net has no task)."""

    task: ClassVar[str | None] = None
    arch: str
    config: dict[str, Any]
    trained_steps: int | None = None
    shipped_dtype: str | None = None  # the dtype the tensors are stored in, if not float32
    format_version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The metadata as stored: unset optional fields left out, ``extra`` merged back."""
        out = {k: v for k, v in dataclasses.asdict(self).items() if v is not None and k != "extra"}
        return (out | {"task": self.task} if self.task else out) | self.extra

    def __post_init__(self) -> None:
        for name, allowed in getattr(self, "CHOICES", {}).items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")


@dataclass(frozen=True, kw_only=True)
class TranslateMeta(WeightsMeta):
    task: ClassVar[str] = "translate"
    CHOICES: ClassVar[dict] = {"model": ("cyclegan", "cut", "pix2pix"), "input": ("photo", "labels", "sketch"), "direction": ("AtoB", "BtoA")}
    model: str
    image_size: int  # the training crops' side
    input: str = "photo"
    direction: str = "AtoB"
    processing_size: int | None = None  # the shorter side inference works at, chosen on validation; None: image_size


@dataclass(frozen=True, kw_only=True)
class UpscaleMeta(WeightsMeta):
    task: ClassVar[str] = "upscale"
    CHOICES: ClassVar[dict] = {"degradation": ("clean", "realistic")}
    scale: int
    loss: str | None = None
    degradation: str = "clean"  # the LR inputs it was trained on


@dataclass(frozen=True, kw_only=True)
class InpaintMeta(WeightsMeta):
    task: ClassVar[str] = "inpaint"
    image_size: int
    mask_ratio: list[float] | None = None
    masks: str | None = None
    loss: str | None = None


@dataclass(frozen=True, kw_only=True)
class GenerateMeta(WeightsMeta):
    task: ClassVar[str] = "generate"
    loss: str | None = None
    image_size: int | None = None
    classes: list[str] | None = None  # class-conditional models: the labels' names, for prompts


@dataclass(frozen=True, kw_only=True)
class ClassifyMeta(WeightsMeta):
    task: ClassVar[str] = "classify"
    classes: list[str]
    test_accuracy: float | None = None


@dataclass(frozen=True, kw_only=True)
class DomainClassifyMeta(ClassifyMeta):
    task: ClassVar[str] = "classify-domains"
    data: str | None = None


KINDS: dict[str | None, type[WeightsMeta]] = {
    kind.task: kind for kind in (WeightsMeta, TranslateMeta, UpscaleMeta, InpaintMeta, GenerateMeta, ClassifyMeta, DomainClassifyMeta)
}


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON-decoded ``value`` fits the type ``hint`` (int, str, float, list[...], a union)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin in (list, dict):
        return isinstance(value, origin)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return hint is Any or isinstance(value, hint)


def parse_meta(spec: dict[str, Any], where: str) -> WeightsMeta:
    """The metadata of the file ``where`` as its task's dataclass, or a one-line
    :class:`CheckpointError` naming the file and the field at fault.

    >>> parse_meta({"arch": "srresnet", "config": {}, "task": "upscale", "scale": 4}, "x.safetensors").scale
    4
    >>> parse_meta({"arch": "srresnet", "config": {}, "task": "upscale"}, "x.safetensors")
    Traceback (most recent call last):
    ganapps.core.checkpoint.CheckpointError: x.safetensors: its metadata lacks 'scale', which an upscale model needs
    """
    task = spec.get("task")
    if task not in KINDS:
        known = ", ".join(t for t in KINDS if t)
        raise CheckpointError(f"{where}: unknown task {task!r} in its metadata (this version knows {known})")
    kind = KINDS[task]
    hints = typing.get_type_hints(kind)
    fields = {f.name: f for f in dataclasses.fields(kind) if f.name != "extra"}
    for name, f in fields.items():
        if name not in spec:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise CheckpointError(f"{where}: its metadata lacks {name!r}, which a{'n' if str(task)[0] in 'aeiou' else ''} "
                                      f"{task or 'weights'} model needs")  # fmt: skip
        elif not _matches(spec[name], hints[name]):
            kind_name = getattr(hints[name], "__name__", None) or str(hints[name]).replace("typing.", "")
            raise CheckpointError(f"{where}: metadata field {name!r} is {spec[name]!r}, not a valid {kind_name}")
    extra = {k: v for k, v in spec.items() if k not in fields and k != "task"}
    try:
        return kind(**{k: spec[k] for k in fields if k in spec}, extra=extra)
    except ValueError as e:
        raise CheckpointError(f"{where}: metadata {e}") from None
