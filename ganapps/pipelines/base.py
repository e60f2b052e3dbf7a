"""Loading a generator for inference from a weights file alone."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganapps.core.checkpoint import CheckpointError, load_weights
from ganapps.core.device import resolve_device
from ganapps.nets import build


def load_net(path: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the net a weights file describes, load its tensors (float32), switch to eval."""
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
    return net.to(device).eval().requires_grad_(False), spec
