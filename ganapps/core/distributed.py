"""torchrun / DistributedDataParallel helpers: gloo on CPU, nccl on GPU, rank-0-only side effects.

Launch any training command under ``torchrun --nproc-per-node N -m ganapps train ...`` (or give it
``--nproc N``, which does exactly that on this machine); torchrun sets ``WORLD_SIZE``/``RANK``/
``LOCAL_RANK`` and this module picks them up. Multi-node runs use torchrun's own rendezvous
options (``--nnodes``, ``--rdzv-endpoint``) with the same command.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_from_env(device: torch.device) -> Dist:
    """Join the process group torchrun describes in the environment; a no-op for one process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend)
    return Dist(rank=rank, world=world, local_rank=local_rank)


def device_for(device: torch.device, d: Dist) -> torch.device:
    """Each process of a multi-GPU run owns the GPU of its local rank."""
    return torch.device("cuda", d.local_rank) if device.type == "cuda" and d.enabled else device


def wrap(module: nn.Module, d: Dist, device: torch.device) -> nn.Module:
    """DDP-wrap a trainable net (BatchNorm synchronised across ranks) when running distributed."""
    if not d.enabled or not any(p.requires_grad for p in module.parameters()):
        return module
    module = nn.SyncBatchNorm.convert_sync_batchnorm(module) if device.type == "cuda" else module
    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)


def unwrap(module: nn.Module) -> nn.Module:
    return module.module if isinstance(module, DistributedDataParallel) else module


def no_sync(module: nn.Module) -> contextlib.AbstractContextManager:
    """Skip DDP's gradient bookkeeping for a net that is frozen in this step."""
    return module.no_sync() if isinstance(module, DistributedDataParallel) else contextlib.nullcontext()


def all_mean(values: dict[str, float], d: Dist, device: torch.device) -> dict[str, float]:
    """Average logged scalars over ranks (one collective), so rank 0 logs the global figures."""
    if not d.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return {k: v / d.world for k, v in zip(keys, t.tolist())}


def all_gather_tensor(t: torch.Tensor, d: Dist) -> list[torch.Tensor]:
    """Every rank's copy of a same-shaped tensor (e.g. RNG states for an exact distributed resume)."""
    if not d.enabled:
        return [t]
    out = [torch.empty_like(t) for _ in range(d.world)]
    dist.all_gather(out, t)
    return out


def barrier(d: Dist) -> None:
    if d.enabled:
        dist.barrier()


def shutdown(d: Dist) -> None:
    if d.enabled and dist.is_initialized():
        dist.destroy_process_group()


def under_torchrun() -> bool:
    return "WORLD_SIZE" in os.environ


def torchrun_command(nproc: int, argv: list[str]) -> list[str]:
    """The command that re-runs ``ganapps <argv>`` as ``nproc`` processes on this machine, with
    ``--nproc`` taken out of ``argv`` (so the workers do not launch again).

    >>> torchrun_command(2, ["train", "dcgan", "--nproc", "2", "--iters", "5"])[-6:]
    ['-m', 'ganapps', 'train', 'dcgan', '--iters', '5']
    """
    args, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            args.append(a)
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}"]
    return [*launcher, "-m", "ganapps", *args]


def launch(nproc: int, argv: list[str]) -> int:
    """Run ``ganapps <argv>`` under torchrun with ``nproc`` processes; their exit status."""
    return subprocess.run(torchrun_command(nproc, argv)).returncode
