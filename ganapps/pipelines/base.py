"""Loading a generator for inference from a weights file alone."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor, nn

from ganapps.core.checkpoint import CheckpointError, load_weights
from ganapps.core.device import autocast, autocast_dtype, resolve_device
from ganapps.core.metadata import WeightsMeta, parse_meta
from ganapps.nets import build


def load_net(
    path: str | Path, device: str | torch.device = "cpu", channels_last: bool = False
) -> tuple[nn.Module, WeightsMeta]:
    """Rebuild the net a weights file describes, load its tensors (float32), switch to eval;
    returns the net and the file's metadata, checked (``core/metadata.py``).

    ``channels_last`` stores the conv weights NHWC: the image-to-image pipelines ask for it, since
    oneDNN (CPU) and cuDNN (GPU tensor cores) run NHWC convolutions fastest, most of all in
    bf16/fp16 (SRResNet ×4 3× faster in bf16 on an AMX CPU, U-Net 1.2×, never slower). Nets that
    flatten features (classifiers, the DCGAN discriminator) keep the default layout."""
    tensors, raw = load_weights(path)
    spec = parse_meta(raw, str(path))
    try:
        net = build(spec.arch, spec.config)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot rebuild the network ({e})") from None
    expected = net.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        first = missing[0] if missing else unexpected[0]
        kind = "missing tensor" if missing else "unexpected tensor"
        raise CheckpointError(f"{path}: {kind} {first!r} for architecture {spec.arch!r}")
    for k, want in expected.items():  # in the net's own order, so "first" means first layer
        if tensors[k].shape != want.shape:
            raise CheckpointError(f"{path}: tensor {k!r} has shape {tuple(tensors[k].shape)}, expected {tuple(want.shape)}")
    net.load_state_dict({k: t.float() if t.is_floating_point() else t for k, t in tensors.items()})
    device = resolve_device(device) if isinstance(device, str) else device
    layout = torch.channels_last if channels_last else torch.preserve_format
    return net.to(device, memory_format=layout).eval().requires_grad_(False), spec


@torch.inference_mode()
def forward(net: Callable[[Tensor], Any], x: Tensor, dtype: torch.dtype | None) -> Any:
    """``net(x)`` under autocast to ``dtype`` (None: float32), as float32 on x's device (each tensor
    of a tuple output), with x channels-last; if reduced precision gives a non-finite value, the
    batch is run again in float32.

    Why the fallback: on an AMX CPU, bf16 channels-last runs of the pix2pix U-Net at 128 px (a
    1-pixel-wide bottleneck) now and then return NaN for an input that runs clean the next time
    (torch 2.13, oneDNN; 1 of 40 runs of 10 face drawings in one measurement, 5 of 6 in another
    process, 0 of 40 in float32). One check per batch costs nothing next to the net, and a user
    never gets a black image."""
    x = x.contiguous(memory_format=torch.channels_last)

    def run(cast: torch.dtype | None) -> Tensor | tuple[Tensor, ...]:
        with autocast(x.device, cast):
            out = net(x)
        return tuple(t.float() for t in out) if isinstance(out, tuple) else out.float()

    y = run(dtype)
    first = y[0] if isinstance(y, tuple) else y
    if dtype is not None and not torch.isfinite(first).all():
        y = run(None)
    return y


def inference_net(
    net: nn.Module, path: str | Path, device: torch.device, precision: str, size: int
) -> tuple[nn.Module, torch.dtype | None]:
    """The net to run for ``precision`` and the dtype to autocast it to: ``int8`` swaps in its
    ONNX Runtime twin (``pipelines/int8.py``, calibrated at ``size`` px; CPU only), the others
    keep ``net`` under autocast. ``auto``: bf16 on CPUs with AMX or AVX512-BF16, and GPUs; on a CPU
    with VNNI but no native bf16, int8 if its quality check is within 40 dB of fp32; else fp32."""
    from . import int8

    if precision == "int8":
        if device.type != "cpu":
            raise ValueError("--precision int8 runs on the CPU (ONNX Runtime); add --device cpu")
        return int8.int8_version(net, path, size), None
    if precision == "auto" and device.type == "cpu" and int8.prefers_int8():
        twin = int8.int8_version(net, path, size)
        if twin.check_psnr >= int8.QUALITY_BAR:
            return twin, None
    return net, autocast_dtype(device, precision)
