"""Memory a request needs, checked before it is allocated.

Asking a net for an image far larger than the machine holds must fail in one line that says what
to change, not with the allocator's message, and not by the kernel's OOM killer after minutes of
swapping (Linux overcommits: a huge ``malloc`` can succeed and kill the process later). So each
pipeline measures once, on a small probe, the largest activation its net makes per input pixel
(in the dtype it runs in), and before every pass multiplies that by the pass's pixels; twice that
(a layer's input and output live together) must fit in the memory available now: the RAM the
kernel reports, the container's cgroup limit and the process's address-space limit, whichever is
smallest, or the GPU's free memory.
"""
from __future__ import annotations

import os
import resource
from pathlib import Path

import torch
from torch import nn

from .base import forward


class NotEnoughMemory(ValueError):
    """A request that cannot fit; the message says what it needs, what is free, and what to change."""


def _proc_kib(path: str, key: str) -> int | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_free() -> int | None:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else int(limit) - used


def _address_space_free() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    used = _proc_kib("/proc/self/status", "VmSize")
    return None if soft == resource.RLIM_INFINITY or used is None else soft - used


def available_bytes(device: torch.device) -> int | None:
    """Bytes a new allocation on ``device`` can take now, or None where it cannot be told."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    if device.type != "cpu":
        return None
    known = [v for v in (_proc_kib("/proc/meminfo", "MemAvailable"), _cgroup_free(), _address_space_free()) if v is not None]
    if not known and hasattr(os, "sysconf") and "SC_AVPHYS_PAGES" in os.sysconf_names:
        known = [os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")]
    return min(known) if known else None


def gib(n: float) -> str:
    return f"{n / 2**30:.1f} GB"


def check_fits(need: float, device: torch.device, what: str, advice: str) -> None:
    """Refuse ``what`` (needing ``need`` bytes) in one line if it cannot fit on ``device``."""
    free = available_bytes(device)
    if free is not None and need > free:
        raise NotEnoughMemory(f"{what} needs about {gib(need)} of memory, {gib(free)} is free: {advice}")


class ActivationBudget:
    """The net's largest activation per input pixel, measured once on a ``probe``-sized input."""

    def __init__(self, net: nn.Module, channels: int, dtype: torch.dtype | None, probe: int = 64):
        self.net, self.channels, self.dtype, self.probe = net, channels, dtype, probe
        self._per_pixel: float | None = None

    def per_pixel(self) -> float:
        if self._per_pixel is None:
            largest = [0]

            def hook(module: nn.Module, args: tuple, out: object) -> None:
                if isinstance(out, torch.Tensor):
                    largest[0] = max(largest[0], out.numel() * out.element_size())

            handles = [m.register_forward_hook(hook) for m in self.net.modules() if not list(m.children())]
            try:
                device = next(self.net.parameters()).device
                forward(self.net, torch.zeros(1, self.channels, self.probe, self.probe, device=device), self.dtype)
            finally:
                for h in handles:
                    h.remove()
            self._per_pixel = largest[0] / self.probe**2
        return self._per_pixel

    def check(self, pixels: int, device: torch.device, what: str, advice: str) -> None:
        """Refuse a pass over ``pixels`` input pixels (all images of the batch) that cannot fit."""
        check_fits(2 * self.per_pixel() * pixels, device, what, advice)
