"""A run's settings: what every head shares (length, batch, schedule, precision), the learning-rate
schedules, the data order, and the check that ``--resume`` continues the same run."""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import torch
from torch.utils.data import Sampler


@dataclass
class TrainConfig:
    """Knobs shared by every task; paper defaults live in each task's own config."""

    out: Path
    epochs: int | None = None
    iters: int | None = None
    batch_size: int = 64
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  # auto | fp32 | bf16 | fp16
    lr_schedule: str = "constant"  # constant | linear (constant, then linear to 0) | cosine
    decay_start: float = 0.5  # fraction of training after which "linear" starts decaying
    d_steps: int = 1  # discriminator updates per generator update (5 for WGAN-GP)
    ema: float | None = None  # e.g. 0.999: keep an exponential moving average of G
    log_every: int = 20
    checkpoint_every: int = 500
    checkpoint_minutes: float = 10.0  # also checkpoint when this long has passed since the last one
    num_workers: int = 0
    channels_last: bool = False
    compile: bool = False  # torch.compile every net (first steps slow while it compiles)
    progress: bool = True
    init: list[Path] = field(default_factory=list)  # exported generator files to start a new run from
    extra: dict[str, Any] = field(default_factory=dict)  # task config, recorded in run.json


class EpochSampler(Sampler[int]):
    """A fresh permutation per epoch from ``(seed, epoch)``: the data order is a pure function of
    the step, so a resumed run sees exactly the batches an uninterrupted run would. Under DDP each
    rank takes every ``world``-th index, so the ranks' batches together form the global batch."""

    def __init__(self, n: int, seed: int, epoch: int, rank: int = 0, world: int = 1, skip: int = 0):
        self.n, self.seed, self.epoch, self.rank, self.world, self.skip = n, seed, epoch, rank, world, skip

    def _indices(self) -> list[int]:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        perm = torch.randperm(self.n, generator=g)
        usable = self.n - self.n % self.world
        return perm[:usable][self.rank :: self.world][self.skip :].tolist()

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices())

    def __len__(self) -> int:
        return max(0, self.n // self.world - self.skip)


def lr_factor(schedule: str, step: int, total: int, decay_start: float) -> float:
    """Multiplier of the base learning rate at ``step`` of ``total``."""
    if schedule == "constant":
        return 1.0
    if schedule == "linear":  # CycleGAN: constant for the first part, then linearly to zero
        start = int(decay_start * total)
        return 1.0 if step < start else max(0.0, 1.0 - (step - start) / max(1, total - start))
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * min(step, total) / max(1, total)))
    raise ValueError(f"unknown lr schedule {schedule!r}; use constant, linear or cosine")


RESUME_MUST_MATCH = ("batch_size", "seed", "lr_schedule", "decay_start", "d_steps", "ema", "extra")
RESUME_MAY_CHANGE = ("data", "judge")  # keys of ``extra``: where the data lives, who scores it


def check_same_run(out: Path, cfg: TrainConfig) -> None:
    """``--resume`` continues *this* run: a flag that changes its schedule or its nets (another
    batch size, seed, task option, a shorter length) is refused in one line naming what differs,
    rather than silently training a different run from the checkpoint. A longer ``--iters`` or
    ``--epochs`` is allowed: the learning-rate schedule is then laid over the new length."""
    path = out / "run.json"
    if not path.exists():
        return
    before = json.loads(path.read_text())
    now = json.loads(json.dumps(asdict(cfg), default=str))
    for run in (before, now):
        run["extra"] = {k: v for k, v in (run.get("extra") or {}).items() if k not in RESUME_MAY_CHANGE}
    changed = [k for k in RESUME_MUST_MATCH if before.get(k) != now.get(k)]
    for k in ("epochs", "iters"):  # the same kind of length, not shorter
        if (before.get(k) is None) != (now.get(k) is None) or (now.get(k) or 0) < (before.get(k) or 0):
            changed.insert(0, k)
    if changed:
        what = ", ".join(f"{k} {before.get(k)!r} → {now.get(k)!r}" for k in changed if k != "extra")
        if "extra" in changed:
            keys = sorted(set(before["extra"]) | set(now["extra"]))
            what = ", ".join(filter(None, [what, *(f"{k} changed" for k in keys if before["extra"].get(k) != now["extra"].get(k))]))
        raise ValueError(f"--resume with other settings than the run in {out} ({what}); resume with the same flags")
