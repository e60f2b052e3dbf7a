"""The reference checkpoint layouts we run, and how each maps onto one of our nets.

Our nets were written with the reference projects' module structure and parameter names, so a
layout is mostly a config read off the tensor shapes; names are only renamed where a variant
shifts them (a ResNet generator trained with dropout) or an older release named them differently
(the original ESRGAN repository):

=============  ======================================================  =====================
``--arch``     reference                                               our net
=============  ======================================================  =====================
resnet9/6      pytorch-CycleGAN-and-pix2pix ``ResnetGenerator``        ``resnet_generator``
unet256/128    pytorch-CycleGAN-and-pix2pix ``UnetGenerator``          ``unet_generator``
msrresnet      BasicSR ``MSRResNet`` (×2, ×4)                          ``srresnet``
rrdbnet        BasicSR/Real-ESRGAN ``RRDBNet`` (×4; ×2, ×1 unshuffled)  ``rrdbnet``
=============  ======================================================  =====================

Widths, block counts and the SR scale are read from shapes; ``--arch`` pins the block count or
U-Net depth it names, so a file that does not have them fails on its first missing tensor.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from torch import Tensor

from ganapps.nets.resnet_gen import ResNetGeneratorConfig
from ganapps.nets.rrdbnet import UNSHUFFLE, RRDBNetConfig
from ganapps.nets.srresnet import SCALES as SRRESNET_SCALES
from ganapps.nets.srresnet import SRResNetConfig
from ganapps.nets.unet import UNetGeneratorConfig

from .reading import ConvertError

CYCLEGAN = "pytorch-CycleGAN-and-pix2pix"
ARCHS = ("resnet9", "resnet6", "unet256", "unet128", "msrresnet", "rrdbnet")
TRANSLATION_SIZE = 256  # the reference's default crop, which its zoo ResNet models were trained at

_RESNET_BLOCK = re.compile(r"model\.(\d+)\.conv_block\.")
# A reference ResnetBlock with dropout has [pad, conv, norm, relu, dropout, pad, conv, norm]: the
# second conv and norm sit one index later than in ours, which has no dropout (identity at inference).
_RESNET_DROPOUT = {"conv_block.6": "conv_block.5", "conv_block.7": "conv_block.6"}
# xinntao/ESRGAN's RRDBNet_arch.py → BasicSR's names (same modules, same order).
_ESRGAN_NAMES = {
    "RRDB_trunk": "body", "RDB1": "rdb1", "RDB2": "rdb2", "RDB3": "rdb3", "trunk_conv": "conv_body",
    "upconv1": "conv_up1", "upconv2": "conv_up2", "HRconv": "conv_hr",
}  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """A reference layout found in a file, resolved to one of our registered nets and its config."""

    name: str  # resnet9, unet256, msrresnet, rrdbnet...
    origin: str  # the reference code and class, for messages and provenance
    arch: str  # our registry name
    config: dict[str, Any]
    meta: dict[str, Any]  # what our pipelines need: task, scale or translation defaults
    renames: dict[str, str] = field(default_factory=dict)  # reference name fragment → ours

    def describe(self) -> str:
        shown = ", ".join(f"{k} {v}" for k, v in self.config.items())
        return f"{self.name} layout of {self.origin}: {shown}"


def rename(key: str, table: dict[str, str]) -> str:
    """``key`` with every whole dotted fragment in ``table`` replaced, in one pass."""
    if not table:
        return key
    pattern = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.sub(rf"(?<![^.])(?:{pattern})(?![^.])", lambda m: table[m[0]], key)


def renames_for(family: str, state: dict[str, Tensor]) -> dict[str, str]:
    """The renaming a file of ``family`` needs (empty for the usual names)."""
    if family == "resnet" and any(k.endswith(".conv_block.6.weight") and v.dim() == 4 for k, v in state.items()):
        return _RESNET_DROPOUT  # a conv, not a norm, at index 6
    if family == "rrdbnet" and any(k.startswith("RRDB_trunk.") for k in state):
        return _ESRGAN_NAMES
    return {}


def detect(keys: list[str]) -> str:
    """The layout family of a state dict (reference names), from keys only that layout has."""
    if "body.0.rdb1.conv1.weight" in keys or "RRDB_trunk.0.RDB1.conv1.weight" in keys:
        return "rrdbnet"
    if "conv_first.weight" in keys and "upconv1.weight" in keys:
        return "msrresnet"
    if "model.model.0.weight" in keys:
        return "unet"
    if any(_RESNET_BLOCK.match(k) for k in keys):
        return "resnet"
    shown = ", ".join(keys[:3])
    raise ConvertError(f"no supported layout recognised (first keys: {shown}); pass --arch ({', '.join(ARCHS)})")


def family_of(arch: str) -> tuple[str, int | None]:
    """``--arch`` → (family, the block count or U-Net depth it pins)."""
    pinned = {"resnet9": ("resnet", 9), "resnet6": ("resnet", 6), "unet256": ("unet", 8), "unet128": ("unet", 7),
              "msrresnet": ("msrresnet", None), "rrdbnet": ("rrdbnet", None)}  # fmt: skip
    if arch not in pinned:
        raise ConvertError(f"unknown --arch {arch!r}; choose one of {', '.join(ARCHS)}")
    return pinned[arch]


def _tensor(state: dict[str, Tensor], key: str, what: str) -> Tensor:
    if key not in state:
        raise ConvertError(f"missing tensor {key!r} ({what})")
    return state[key]


def _count(state: dict[str, Tensor], pattern: str) -> int:
    """How many consecutive ``pattern.format(i)`` keys exist from i = 0."""
    n = 0
    while pattern.format(n) in state:
        n += 1
    return n


def _norm(state: dict[str, Tensor], prefix: str, running_stats: bool, what: str) -> str:
    """Our norm kind for the reference norm layer at ``prefix``.

    The reference's InstanceNorm has no parameters (its stale running statistics in old files are
    ignored, as the reference ignores them); a norm with a weight is its BatchNorm, which its
    ``test.py`` runs with per-image statistics unless ``--eval`` is given.
    """
    if f"{prefix}.weight" not in state:
        if running_stats:
            raise ConvertError(f"--running-stats: {what} has no BatchNorm (no {prefix}.weight)")
        return "instance"
    return "batch" if running_stats else "instance_affine"


def _resnet(state: dict[str, Tensor], n_blocks: int | None, running_stats: bool) -> Layout:
    what = f"{CYCLEGAN} ResnetGenerator"
    n = n_blocks if n_blocks is not None else len({m[1] for k in state if (m := _RESNET_BLOCK.match(k))})
    first = _tensor(state, "model.1.weight", what)
    last = state.get(f"model.{17 + n}.weight")  # the final 7×7 conv, after blocks and two upsamplings
    config = ResNetGeneratorConfig(
        in_channels=first.shape[1], out_channels=first.shape[1] if last is None else last.shape[0], ngf=first.shape[0],
        n_blocks=n, norm=_norm(state, "model.2", running_stats, what),
    )
    meta = {"task": "translate", "model": "cyclegan", "image_size": TRANSLATION_SIZE, "input": "photo"}
    return Layout(f"resnet{n}", what, "resnet_generator", asdict(config), meta)


def _unet(state: dict[str, Tensor], num_downs: int | None, running_stats: bool) -> Layout:
    what = f"{CYCLEGAN} UnetGenerator"
    levels = 1  # level k > 1 nests at model.model.1(.model.3)*(k-2); its down conv is its .model.1
    while "model.model.1." + "model.3." * (levels - 1) + "model.1.weight" in state:
        levels += 1
    n = num_downs or levels
    first = _tensor(state, "model.model.0.weight", what)
    last = state.get("model.model.3.weight")  # outermost transposed conv: 2·ngf → out channels
    config = UNetGeneratorConfig(
        in_channels=first.shape[1], out_channels=first.shape[1] if last is None else last.shape[1], ngf=first.shape[0],
        num_downs=n, norm=_norm(state, "model.model.1.model.2", running_stats, what),
    )
    meta = {"task": "translate", "model": "pix2pix", "image_size": 2**n, "input": "photo"}
    return Layout(f"unet{2**n}", what, "unet_generator", asdict(config), meta)


def _msrresnet(state: dict[str, Tensor], scale: int | None) -> Layout:
    what = "BasicSR MSRResNet"
    first = _tensor(state, "conv_first.weight", what)
    num_feat, channels = first.shape[:2]
    # ×4 has two ×2 pixel-shuffle stages; ×2 and ×3 one, whose conv makes scale² · num_feat channels
    found = 4 if "upconv2.weight" in state else math.isqrt(_tensor(state, "upconv1.weight", what).shape[0] // num_feat)
    if found not in SRRESNET_SCALES:
        raise ConvertError(f"a ×{found} MSRResNet: only ×{' and ×'.join(map(str, SRRESNET_SCALES))} are supported")
    _check_scale(scale, found, "upconv1/upconv2")
    config = SRResNetConfig(
        scale=found, num_feat=num_feat, num_block=_count(state, "body.{}.conv1.weight"), channels=channels, unit_range=True
    )
    return Layout("msrresnet", what, "srresnet", asdict(config), {"task": "upscale", "scale": found})


def _rrdbnet(state: dict[str, Tensor], scale: int | None) -> Layout:
    what = "BasicSR RRDBNet"
    first = _tensor(state, "conv_first.weight", what)
    channels = _tensor(state, "conv_last.weight", what).shape[0]
    factors = {f * f: s for s, f in UNSHUFFLE.items()}  # input channels per output channel → scale
    ratio, rest = divmod(first.shape[1], channels)
    if rest or ratio not in factors:
        raise ConvertError(f"conv_first takes {first.shape[1]} channels: not ×1, ×2 or ×4 for {channels}-channel images")
    found = factors[ratio]
    _check_scale(scale, found, f"conv_first takes {first.shape[1]} channels")
    num_block = _count(state, "body.{}.rdb1.conv1.weight")
    grow = state["body.0.rdb1.conv1.weight"].shape[0] if num_block else RRDBNetConfig.num_grow_ch
    config = RRDBNetConfig(
        scale=found, num_feat=first.shape[0], num_block=num_block, num_grow_ch=grow, channels=channels, unit_range=True
    )
    return Layout("rrdbnet", what, "rrdbnet", asdict(config), {"task": "upscale", "scale": found})


def _check_scale(wanted: int | None, found: int, evidence: str) -> None:
    if wanted is not None and wanted != found:
        raise ConvertError(f"--scale {wanted}, but the file holds a ×{found} model ({evidence})")


def resolve(
    state: dict[str, Tensor], arch: str | None, scale: int | None, running_stats: bool
) -> tuple[Layout, dict[str, Tensor]]:
    """The layout of ``state`` (reference names: ``arch`` if given, else detected) and ``state``
    under our names."""
    family, pinned = family_of(arch) if arch else (detect(list(state)), None)
    if scale is not None and family in ("resnet", "unet"):
        raise ConvertError("--scale applies to super-resolution layouts (msrresnet, rrdbnet) only")
    if running_stats and family not in ("resnet", "unet"):
        raise ConvertError("--running-stats applies to BatchNorm translation layouts (resnet, unet) only")
    renames = renames_for(family, state)
    ours: dict[str, Tensor] = {}
    for key, value in state.items():
        new = rename(key, renames)
        if new in ours:
            raise ConvertError(f"unexpected tensor {key!r}: two tensors would both be {new!r}")
        ours[new] = value
    if family == "resnet":
        layout = _resnet(ours, pinned, running_stats)
    elif family == "unet":
        layout = _unet(ours, pinned, running_stats)
    elif family == "msrresnet":
        layout = _msrresnet(ours, scale)
    else:
        layout = _rrdbnet(ours, scale)
    return replace(layout, renames=renames), ours
