"""Loading a generator for inference from a weights file alone."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganapps.core.checkpoint import CheckpointError, load_weights
from ganapps.core.device import resolve_device
from ganapps.nets import build


def load_net(
    path: str | Path, device: str | torch.device = "cpu", channels_last: bool = False
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the net a weights file describes, load its tensors (float32), switch to eval.

    ``channels_last`` stores the conv weights NHWC: the image-to-image pipelines ask for it, since
    oneDNN (CPU) and cuDNN (GPU tensor cores) run NHWC convolutions fastest, most of all in
    bf16/fp16 (SRResNet ×4 3× faster in bf16 on an AMX CPU, U-Net 1.2×, never slower). Nets that
    flatten features (classifiers, the DCGAN discriminator) keep the default layout."""
    tensors, spec = load_weights(path)
    try:
        net = build(spec["arch"], spec["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot rebuild the network ({e})") from None
    expected = net.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        first = missing[0] if missing else unexpected[0]
        kind = "missing tensor" if missing else "unexpected tensor"
        raise CheckpointError(f"{path}: {kind} {first!r} for architecture {spec['arch']!r}")
    for k, want in expected.items():  # in the net's own order, so "first" means first layer
        if tensors[k].shape != want.shape:
            raise CheckpointError(f"{path}: tensor {k!r} has shape {tuple(tensors[k].shape)}, expected {tuple(want.shape)}")
    net.load_state_dict({k: t.float() if t.is_floating_point() else t for k, t in tensors.items()})
    device = resolve_device(device) if isinstance(device, str) else device
    layout = torch.channels_last if channels_last else torch.preserve_format
    return net.to(device, memory_format=layout).eval().requires_grad_(False), spec
