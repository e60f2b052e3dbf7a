"""``ganapps convert``: checkpoints of the reference projects → our safetensors weights.

Users arrive with weights trained for days on GPUs: the CycleGAN/pix2pix zoo's ``latest_net_G.pth``
and BasicSR/Real-ESRGAN's ``RealESRGAN_x4plus.pth``. Converting them once gives a file our
pipelines rebuild from its metadata alone and load without unpickling, so ``translate`` and
``upscale`` run them with tiling, bf16 and batching. The file is read with
:func:`~ganapps.convert.reading.read_checkpoint` (weights only), its layout found by
:mod:`~ganapps.convert.layouts`, and every tensor checked by name and shape against the net the
layout describes before anything is written; errors name the first offending tensor under the
file's own names.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import Tensor, nn

from ganapps.core.checkpoint import save_weights
from ganapps.nets import build, spec_of

from .layouts import ARCHS, Layout, rename, resolve
from .reading import ConvertError, read_checkpoint

__all__ = ["ARCHS", "ConvertError", "Layout", "convert_checkpoint"]

_RUNNING_STATS = ("running_mean", "running_var", "num_batches_tracked")


def convert_checkpoint(
    src: str | Path, dst: str | Path, arch: str | None = None, scale: int | None = None, running_stats: bool = False
) -> Layout:
    """Convert ``src`` to a ganapps weights file ``dst`` (written atomically); returns the layout.

    ``arch`` is one of :data:`ARCHS` (default: detected from the tensor names); ``scale`` only
    checks the SR factor read from the shapes; ``running_stats`` keeps a BatchNorm checkpoint's
    running statistics (the reference's ``test.py --eval``) instead of per-image statistics.
    """
    src = Path(src)
    checkpoint = read_checkpoint(src)
    try:
        layout, state = resolve(checkpoint.tensors, arch, scale, running_stats)
        try:
            net = build(layout.arch, layout.config)
        except ValueError as e:
            raise ConvertError(f"{layout.origin} with {e}") from None
        net.load_state_dict(_match(net, state, layout))
    except ConvertError as e:
        raise ConvertError(f"{src}: {e}") from None
    source = {
        "file": src.name, "sha256": hashlib.sha256(checkpoint.data).hexdigest(), "layout": layout.name,
        "code": layout.origin, "params": checkpoint.wrapper,
    }  # fmt: skip
    save_weights(dst, net, spec_of(net) | layout.meta | {"converted": True, "source": source})
    return layout


def _match(net: nn.Module, state: dict[str, Tensor], layout: Layout) -> dict[str, Tensor]:
    """``state`` checked against ``net``'s tensors in the net's order (so "first" is the first layer)."""
    expected = net.state_dict()
    inverse = {ours: theirs for theirs, ours in layout.renames.items()}
    out: dict[str, Tensor] = {}
    for key, want in expected.items():
        if key not in state:
            if key.endswith(".num_batches_tracked"):  # absent before PyTorch 0.4; unused at inference
                out[key] = torch.zeros_like(want)
                continue
            raise ConvertError(f"missing tensor {rename(key, inverse)!r} ({layout.describe()})")
        if state[key].shape != want.shape:
            raise ConvertError(
                f"tensor {rename(key, inverse)!r} has shape {tuple(state[key].shape)}, expected {tuple(want.shape)} "
                f"({layout.describe()})"
            )
        out[key] = state[key]
    for key in state:
        if key not in expected and not _ignored(net, key):
            raise ConvertError(f"unexpected tensor {rename(key, inverse)!r} ({layout.describe()})")
    return out


def _ignored(net: nn.Module, key: str) -> bool:
    """Running statistics at a norm our net runs per image. The reference drops an InstanceNorm's
    (files saved before PyTorch 0.4 have them) and a BatchNorm run per image does not use them."""
    module, _, name = key.rpartition(".")
    try:
        return name in _RUNNING_STATS and isinstance(net.get_submodule(module), nn.InstanceNorm2d)
    except AttributeError:
        return False
