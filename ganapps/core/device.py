"""Pick the device and the mixed-precision mode for training and inference.

bf16 autocast is only worth it where the hardware computes in bf16: AMX on recent Intel CPUs
(3-6x faster matmuls), AVX512-BF16 dot products (AMD Zen 4 and later: training steps 1.7-2.1x and
inference 1.4-1.8x faster than fp32, measured on an AMD EPYC) or any CUDA GPU of the Ampere generation
onwards. Elsewhere bf16 on CPU is emulated and slower than fp32, so ``precision="auto"`` falls back
to fp32.
"""
from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")  # what autocast can do; inference also has "int8" (pipelines/int8.py)


def available_devices() -> list[str]:
    """The device names this machine and PyTorch build can run on."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        found.append("mps")
    return found


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` means CUDA when available, else CPU; a device this machine lacks is a one-line error
    that lists the ones it has.

    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ValueError: --device tpu: not a device name; use auto, cpu, cuda, cuda:N or mps
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"--device {name}: not a device name; use auto, cpu, cuda, cuda:N or mps")
    here = available_devices()
    if device.type != "cpu" and str(device) not in here and not (device.type == "cuda" and "cuda" in here and device.index is None):
        if device.type == "mps":
            what = "this machine or PyTorch build has no MPS (Apple GPU) support"
        else:
            what = "no CUDA GPU is available" if not torch.cuda.is_available() else f"there is no GPU {device.index}"
        raise ValueError(f"--device {name} was asked for, but {what}; available: {', '.join(here)}")
    return device


CPU_FEATURES = ("amx_bf16", "avx512_bf16", "avx512_vnni", "avx_vnni", "avx2")  # what decides the fastest precision


@functools.cache
def cpu_features() -> tuple[str, ...]:
    """Which of :data:`CPU_FEATURES` this CPU advertises (Linux ``/proc/cpuinfo``; empty elsewhere):
    AMX and AVX512-BF16 run bf16 natively, VNNI runs int8 dot products (4× fp32's per instruction), AVX2 alone neither."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return ()
    return tuple(f for f in CPU_FEATURES if f in flags)


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 in hardware: AMX tiles or AVX512-BF16 dot products."""
    return any(f in cpu_features() for f in ("amx_bf16", "avx512_bf16"))


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
    return torch.bfloat16 if cpu_has_native_bf16() else None


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
