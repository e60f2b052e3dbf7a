"""Timing primitives of ``benchmarks/run.py``: medians of repeated calls, matmul peaks, FLOP counts.

Every figure the benchmark prints is a median over repeats after warm-up calls, so one slow call
(page faults, oneDNN building a kernel for a new shape, another process waking up) does not move it.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so a timer measures the work and not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 1, device: torch.device = torch.device("cpu")) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def matmul_peak(device: torch.device, dtype: torch.dtype, n: int = 2048, repeats: int = 10) -> float:
    """GFLOP/s of an n×n by n×n matmul in ``dtype`` (2n³ FLOPs): this machine's practical peak."""
    a, b = (torch.randn(n, n, device=device).to(dtype) for _ in range(2))
    return 2 * n**3 / median_seconds(lambda: a @ b, repeats, warmup=2, device=device) / 1e9


def gflop(fn: Callable[[], object]) -> float:
    """GFLOP of one call of ``fn`` as ``torch.utils.flop_counter`` counts them (2 per multiply-add
    of convolutions and matmuls, whatever their dtype; norms and activations are not counted)."""
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops() / 1e9
