"""Pick the device and the mixed-precision mode for training and inference.

bf16 autocast is only worth it where the hardware has bf16 matrix units: AMX on recent Intel CPUs
(3-6x faster matmuls) or any CUDA GPU of the Ampere generation onwards. Elsewhere bf16 on CPU is
emulated and slower than fp32, so ``precision="auto"`` falls back to fp32.
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` means CUDA when available, else CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA GPU is available (use --device cpu)")
    return device


@functools.cache
def cpu_has_amx() -> bool:
    """True when the CPU advertises AMX bf16 tiles (Linux ``/proc/cpuinfo`` flag)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The dtype to autocast to, or None for plain fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "fp32":
        return None
    if precision == "fp16":
        if device.type != "cuda":
            raise ValueError("fp16 autocast is only supported on CUDA; use bf16 or fp32 on CPU")
        return torch.float16
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_has_amx() else None


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """An autocast context for ``dtype``, or a no-op context when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def tune_backends(device: torch.device) -> None:
    """Let cuDNN benchmark convolution algorithms on CUDA: training (and tiled inference) repeats
    the same shapes, so the search on the first call is repaid on every later one."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
