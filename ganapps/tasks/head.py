"""What a task head declares, once, so that ``ganapps train NAME`` can be built from it.

A head module (``tasks/cyclegan.py``, ...) ends with ``HEAD = Head(...)``: its config dataclass
(nets and losses, the papers' defaults), its inputs dataclass (where the data is and how it is
read), its default schedule and a ``build`` function that turns both into a task and a dataset.
Fields marked with :func:`option` become command-line flags; the rest keep their defaults. The
registry in ``tasks/__init__.py`` names the head modules, one line each.

Nothing here imports torch: ``ganapps --help`` stays fast.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from ganapps.errors import UsageError


def option(default: Any, help: str, flag: str | None = None, choices: tuple | None = None) -> Any:
    """A dataclass field that is also a ``ganapps train`` flag (``--field-name`` unless ``flag``).

    >>> @dataclass
    ... class C:
    ...     ngf: int = option(64, "Generator width.")
    >>> [f.flag for f in flags_of(C)]
    ['--ngf']
    """
    return field(default=default, metadata={"help": help, "flag": flag, "choices": choices})


@dataclass(frozen=True)
class Flag:
    """One flag of a head: the field it fills, its name, type, default, help and allowed values."""

    field: str
    flag: str
    type: Any
    default: Any
    help: str
    choices: tuple | None


def flags_of(cls: type) -> list[Flag]:
    """The :func:`option` fields of a dataclass, in declaration order."""
    hints = typing.get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        if "help" not in f.metadata:
            continue
        default = f.default if f.default is not dataclasses.MISSING else ...
        flag = f.metadata["flag"] or "--" + f.name.replace("_", "-")
        found.append(Flag(f.name, flag, hints[f.name], default, f.metadata["help"], f.metadata["choices"]))
    return found


def from_flags(cls: type, values: dict[str, Any]) -> Any:
    """An instance of ``cls`` from flag values, each checked against its choices."""
    for f in flags_of(cls):
        if f.choices is not None and values[f.field] not in f.choices:
            raise UsageError(f"{f.flag} must be one of {', '.join(map(str, f.choices))}, not {values[f.field]!r}")
    return cls(**{f.field: values[f.field] for f in flags_of(cls)})


@dataclass(frozen=True)
class Schedule:
    """How a head trains by default (the papers'); ``--epochs/--iters/--batch-size`` override."""

    epochs: int | None = None  # default length in passes over the data...
    iters: int | None = None  # ...or in generator updates
    batch_size: int = 1
    lr_schedule: str = "constant"  # constant | linear (constant, then linear to 0) | cosine
    decay_start: float = 0.5
    d_steps: int = 1  # discriminator updates per generator update
    ema: float | None = None  # exponential moving average of G (exported instead of G)
    channels_last: bool = False


@dataclass(frozen=True)
class Head:
    """A task head as ``ganapps train`` sees it.

    ``build(config, inputs, seed, batch_size)`` reads the data and makes the task; the task's
    ``config`` (possibly completed from the data, e.g. the number of classes) and the inputs are
    recorded in the run, so ``--resume`` can refuse a changed one. ``schedule(config)`` gives the
    trainer's defaults, which may depend on the config (WGAN-GP's five D steps).
    """

    name: str
    summary: str
    config: type
    inputs: type
    build: Callable[[Any, Any, int, int], tuple[Any, Any]]
    schedule: Callable[[Any], Schedule]
    epochs_help: str = "Passes over the data."
