"""THE adversarial loop, shared by every task head.

A task head says what its nets are and how to score them; the trainer does the rest. One
training step, as in pytorch/examples' DCGAN::

    fake = task.generate(batch)                       # G forward, graph kept for the G step
    with frozen(G):  task.d_loss(batch, detached(fake)) → backward → D optimizer step
    with frozen(D):  task.g_loss(batch, fake)           → backward → G optimizer step

"Frozen" means ``requires_grad=False`` (no gradient is computed for those parameters, so none can
leak into an update) and, under DDP, no gradient synchronisation. A task with no discriminators
(an empty ``discriminators`` dict and ``None`` for the D optimizer, e.g. SRResNet's PSNR phase)
trains its generators alone: the D step is skipped and ``d_loss`` is never called.

A task that can score itself on held-out data has a ``validate(generators) -> dict`` method; the
trainer calls it at each epoch end, logs the figures to ``val.jsonl`` (plotted in ``curves.png``)
and keeps that epoch's exported weights in ``snapshots/step_<N>/``, so the step to ship is chosen
on validation figures after the fact, not on the test set.

Around that core: mixed precision, EMA of the generators, LR schedules, JSONL metrics with
discriminator accuracy, sample grids each epoch, atomic checkpoints with exact resume, a NaN/inf
guard, and DDP via torchrun.

Speed on a GPU: batches come from pinned memory with non-blocking copies, cuDNN autotunes the
convolutions (crops have fixed shapes, so the search pays off from the second step), and
``compile=True`` runs every net through ``torch.compile``. Compilation is in place
(``nn.Module.compile``): parameter names, checkpoints and exported weights do not change.
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
import random
import shutil
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from . import distributed as ddp
from .checkpoint import load_state, save_state, save_weights
from .device import autocast, autocast_dtype, resolve_device, tune_backends
from .logging import MetricsLog, bar_text, image_grid, plot_curves, progress_bar, write_gif, write_png
from .run_config import EpochSampler, TrainConfig, check_same_run, lr_factor
from .task import Task
from .stop import stop_on_signal
from .training_state import init_generators, restore_training_state, training_state

__all__ = ["CHECKPOINT", "Task", "TrainConfig", "Trainer", "TrainingDiverged", "lr_factor"]

CHECKPOINT = "checkpoint.safetensors"


class TrainingDiverged(RuntimeError):
    """A loss became NaN/inf; the last good checkpoint is kept."""


def _to_device(batch: Any, device: torch.device, channels_last: bool) -> Any:
    if isinstance(batch, Tensor):
        batch = batch.to(device, non_blocking=True)
        if channels_last and batch.dim() == 4:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch
    if isinstance(batch, dict):
        return {k: _to_device(v, device, channels_last) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(v, device, channels_last) for v in batch)
    return batch


def _detached(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, dict):
        return {k: _detached(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_detached(v) for v in x)
    return x


class Trainer:
    """Trains a :class:`Task` on a dataset into ``config.out``; see the module docstring."""

    def __init__(self, task: Task, dataset: Dataset, config: TrainConfig):
        self.task, self.dataset, self.cfg = task, dataset, config
        self.out = Path(config.out)
        base_device = resolve_device(config.device)
        self.dist = ddp.init_from_env(base_device)
        self.device = ddp.device_for(base_device, self.dist)
        tune_backends(self.device)
        self.dtype = autocast_dtype(self.device, config.precision)
        if config.batch_size % self.dist.world:
            raise ValueError(f"--batch-size {config.batch_size} must be divisible by the {self.dist.world} processes")
        self.local_batch = config.batch_size // self.dist.world
        self.batches_per_epoch = (len(dataset) // self.dist.world) // self.local_batch
        self.steps_per_epoch = self.batches_per_epoch // config.d_steps
        if self.steps_per_epoch < 1:
            raise ValueError(
                f"the dataset has {len(dataset)} items: too few for one step at batch size {config.batch_size}"
            )
        if (config.epochs is None) == (config.iters is None):
            raise ValueError("give exactly one of epochs or iters")
        self.total_steps = config.iters or config.epochs * self.steps_per_epoch
        self.total_epochs = math.ceil(self.total_steps / self.steps_per_epoch)

        torch.manual_seed(config.seed + self.dist.rank)
        np.random.seed(config.seed + self.dist.rank)
        random.seed(config.seed + self.dist.rank)
        fmt = torch.channels_last if config.channels_last else torch.preserve_format
        for nets in (task.generators, task.discriminators):
            for name, net in nets.items():
                nets[name] = ddp.wrap(net.to(self.device, memory_format=fmt), self.dist, self.device)
        self.opt_g, self.opt_d = task.optimizers()
        if (self.opt_d is None) != (not task.discriminators):
            raise ValueError(f"task {task.name!r}: a D optimizer is needed exactly when there are discriminators")
        if self.opt_d is None and config.d_steps != 1:
            raise ValueError("d_steps must be 1 for a task without discriminators")
        total, sched, start = self.total_steps, config.lr_schedule, config.decay_start
        lam = lambda s: lr_factor(sched, s, total, start)  # noqa: E731
        lr_factor(sched, 0, total, start)  # validate the name now, not at the first step
        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, lam)
        self.sched_d = torch.optim.lr_scheduler.LambdaLR(self.opt_d, lam) if self.opt_d is not None else None
        fp16 = self.dtype == torch.float16
        self.scaler_g = torch.amp.GradScaler(self.device.type, enabled=fp16)
        self.scaler_d = torch.amp.GradScaler(self.device.type, enabled=fp16)
        self.ema = (
            {k: copy.deepcopy(ddp.unwrap(g)).eval().requires_grad_(False) for k, g in task.generators.items()}
            if config.ema
            else {}
        )
        if config.compile:  # after the EMA copies: a deep copy would share the compiled forward
            for net in [*task.generators.values(), *task.discriminators.values()]:
                ddp.unwrap(net).compile()
        self.step = 0
        self.metrics = MetricsLog(self.out / "metrics.jsonl")
        self.val_log = MetricsLog(self.out / "val.jsonl")

    def init_generators(self, paths: list[Path]) -> list[str]:
        """Load exported generator weights (``--init``) into a new run; see :func:`init_generators`."""
        return init_generators(self, paths)

    # ------------------------------------------------------------------ one adversarial step
    @contextlib.contextmanager
    def frozen(self, nets: dict[str, nn.Module]) -> Iterator[None]:
        """Freeze ``nets`` for the partner's step: no gradients, no DDP sync; restored afterwards."""
        with contextlib.ExitStack() as stack:
            for net in nets.values():
                net.requires_grad_(False)
                stack.enter_context(ddp.no_sync(net))
            try:
                yield
            finally:
                for net in nets.values():
                    net.requires_grad_(True)

    def _backward_step(self, loss: Tensor, which: str, opt, scaler) -> None:
        if not torch.isfinite(loss.detach()).all():
            ckpt = self.out / CHECKPOINT
            kept = f"the last good checkpoint in {ckpt} is kept" if ckpt.exists() else "no checkpoint had been written yet"
            raise TrainingDiverged(
                f"{which} loss became {loss.item()} at step {self.step + 1}; {kept}. "
                "Try a lower learning rate, --precision fp32, or another GAN loss."
            )
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)

    def d_step(self, batch: Any, fake: Any) -> dict[str, float]:
        """One discriminator update with the generators frozen."""
        with self.frozen(self.task.generators):
            with autocast(self.device, self.dtype):
                loss, logs = self.task.d_loss(batch, _detached(fake))
            self._backward_step(loss, "discriminator", self.opt_d, self.scaler_d)
        return {"d_loss": loss.item(), **logs}

    def g_step(self, batch: Any, fake: Any) -> dict[str, float]:
        """One generator update with the discriminators frozen."""
        with self.frozen(self.task.discriminators):
            with autocast(self.device, self.dtype):
                loss, logs = self.task.g_loss(batch, fake)
            self._backward_step(loss, "generator", self.opt_g, self.scaler_g)
        return {"g_loss": loss.item(), **logs}

    def train_step(self, batches: list[Any]) -> dict[str, float]:
        """``d_steps`` discriminator updates (one per batch), then one generator update."""
        logs: dict[str, float] = {}
        for i, loaded in enumerate(batches):
            last = i == len(batches) - 1
            batch = self.task.augment(loaded)
            with torch.set_grad_enabled(last), autocast(self.device, self.dtype):
                fake = self.task.generate(batch)
            if self.opt_d is not None:
                logs = self.d_step(batch, fake)
        logs |= self.g_step(batch, fake)
        self.sched_g.step()
        if self.sched_d is not None:
            self.sched_d.step()
        self._update_ema()
        self.step += 1
        return logs

    def ema_decay(self) -> float:
        """The EMA's decay at this step: ``cfg.ema``, warmed up as ``(1 + step) / (10 + step)`` below it
        (TensorFlow's ExponentialMovingAverage with ``num_updates``): at 0.999 from the first step the
        average still held two thirds of G's random initialisation after 400 steps, and the per-epoch
        samples and validation of a faces run showed noise where G already drew faces."""
        return min(self.cfg.ema, (1 + self.step) / (10 + self.step))

    @torch.no_grad()
    def _update_ema(self) -> None:
        if not self.ema:
            return
        decay = self.ema_decay()
        for name, avg in self.ema.items():
            live = ddp.unwrap(self.task.generators[name])
            for a, p in zip(avg.parameters(), live.parameters()):
                a.lerp_(p.detach(), 1.0 - decay)
            for a, b in zip(avg.buffers(), live.buffers()):
                a.copy_(b)

    # ------------------------------------------------------------------------------ the loop
    def _loader(self, epoch: int, skip_batches: int) -> DataLoader:
        sampler = EpochSampler(
            len(self.dataset), self.cfg.seed, epoch, self.dist.rank, self.dist.world, skip_batches * self.local_batch
        )
        return DataLoader(
            self.dataset,
            batch_size=self.local_batch,
            sampler=sampler,
            drop_last=True,
            num_workers=self.cfg.num_workers,
            pin_memory=self.device.type == "cuda",
            # A private generator: creating the iterator must not draw from the global RNG, or a
            # resumed run (which creates it mid-epoch) would diverge from an uninterrupted one.
            generator=torch.Generator().manual_seed(self.cfg.seed * 1_000_003 + epoch),
        )

    def fit(self, resume: bool = False, max_steps: int | None = None) -> dict[str, Any]:
        """Train to the configured length (or stop after global step ``max_steps``, e.g. to pause).

        Returns a summary: steps, seconds, images per second, last averaged metrics.
        """
        ckpt = self.out / CHECKPOINT
        if resume:
            if not ckpt.exists():
                raise FileNotFoundError(f"--resume: no checkpoint in {self.out}")
            check_same_run(self.out, self.cfg)
            self._load(ckpt)
        elif ckpt.exists():
            raise FileExistsError(f"{self.out} already holds a training run; pass --resume or choose another --out")
        elif self.cfg.init:
            self.init_generators(self.cfg.init)
        if self.dist.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "samples").mkdir(exist_ok=True)
            self._write_run_json()
            if resume:
                self.metrics.truncate_after(self.step)
                self.val_log.truncate_after(self.step)
            else:
                self._save_samples(0)
        stop = min(self.total_steps, max_steps or self.total_steps)
        sums: dict[str, float] = defaultdict(float)
        count, t0, start_step, last_logged = 0, time.perf_counter(), self.step, {}
        t_log = t_saved = t0
        stopped = False
        with progress_bar(self.cfg.progress and self.dist.is_main) as bar, stop_on_signal() as requested:
            task_id = bar.add_task("train", total=self.total_steps, completed=self.step, info="")
            while self.step < stop:
                epoch, in_epoch = divmod(self.step, self.steps_per_epoch)
                loader = iter(self._loader(epoch, in_epoch * self.cfg.d_steps))
                while in_epoch < self.steps_per_epoch and self.step < stop and not stopped:
                    batches = [
                        _to_device(next(loader), self.device, self.cfg.channels_last) for _ in range(self.cfg.d_steps)
                    ]
                    for k, v in self.train_step(batches).items():
                        sums[k] += v
                    count += 1
                    in_epoch += 1
                    if self.step % self.cfg.log_every == 0 or self.step == stop:
                        now = time.perf_counter()
                        avg = ddp.all_mean({k: v / count for k, v in sums.items()}, self.dist, self.device)
                        img_s = count * self.cfg.batch_size * self.cfg.d_steps / (now - t_log)
                        last_logged = {"step": self.step, "epoch": epoch + 1, **avg, "img_s": img_s,
                                       "lr": self.sched_g.get_last_lr()[0], "time": now - t0}
                        if self.dist.is_main:
                            self.metrics.write(last_logged)
                        bar.update(task_id, completed=self.step, info=bar_text(epoch, self.total_epochs, self.step, last_logged))
                        sums.clear()
                        count, t_log = 0, now
                        # every rank stops at the same step: a signal seen by any of them counts
                        stopped = ddp.all_mean({"stop": float(requested.is_set())}, self.dist, self.device)["stop"] > 0
                    epoch_done = in_epoch == self.steps_per_epoch
                    overdue = time.perf_counter() - t_saved > 60 * self.cfg.checkpoint_minutes
                    if epoch_done or stopped or overdue or self.step % self.cfg.checkpoint_every == 0 or self.step == stop:
                        self._save(ckpt)
                        t_saved = time.perf_counter()
                    if epoch_done:
                        self._end_epoch(epoch + 1)
                if stopped:
                    break
        if self.step == self.total_steps and self.dist.is_main:
            # the run's end need not be an epoch's end: the exported weights must be the final ones
            plot_curves(self.metrics.read(), self.out / "curves.png", self.val_log.read())
            self._refresh_ema_statistics()
            self.export()
        seconds = time.perf_counter() - t0
        done = self.step - start_step
        return {
            "steps": done,
            "seconds": seconds,
            "img_s": done * self.cfg.batch_size * self.cfg.d_steps / seconds if seconds > 0 else 0.0,
            "last": last_logged,
            "stopped": stopped,  # by SIGTERM/SIGINT, checkpointed: continue with --resume
        }

    # ------------------------------------------------------------------- outputs and state
    def generators_for_inference(self) -> dict[str, nn.Module]:
        """EMA generators when EMA is on, else the live ones (unwrapped from DDP)."""
        return self.ema or {k: ddp.unwrap(g) for k, g in self.task.generators.items()}

    def _refresh_ema_statistics(self) -> None:
        if self.ema:
            self.task.refresh_statistics(self.ema)

    def _end_epoch(self, epoch: int) -> None:
        if not self.dist.is_main:
            return
        self._refresh_ema_statistics()
        self._save_samples(epoch)
        frames = sorted((self.out / "samples").glob("epoch_*.png"))
        write_gif(self.out / "training.gif", frames)
        exported = self.export()
        self._validate(epoch, exported)
        plot_curves(self.metrics.read(), self.out / "curves.png", self.val_log.read())

    def _validate(self, epoch: int, exported: list[Path]) -> None:
        """Score the epoch's generators on the task's held-out data; keep their weights if scored."""
        gens = self.generators_for_inference()
        modes = {k: g.training for k, g in gens.items()}
        for g in gens.values():
            g.eval()
        # fork_rng: whatever validation draws (a judge net's initialisation before its weights load,
        # sampling noise) must not move the training RNG, or a resumed run would not replay this one
        with torch.no_grad(), torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            figures = self.task.validate(gens)
        for k, g in gens.items():
            g.train(modes[k])
        if not figures:
            return
        self.val_log.write({"step": self.step, "epoch": epoch, **figures})
        snapshot = self.out / "snapshots" / f"step_{self.step:06d}"
        snapshot.mkdir(parents=True, exist_ok=True)
        for path in exported:
            shutil.copy2(path, snapshot / path.name)

    @torch.no_grad()
    def _save_samples(self, epoch: int) -> None:
        gens = self.generators_for_inference()
        modes = {k: g.training for k, g in gens.items()}
        for g in gens.values():
            g.eval()
        with autocast(self.device, self.dtype):
            images = self.task.samples(gens)
        for k, g in gens.items():
            g.train(modes[k])
        write_png(self.out / "samples" / f"epoch_{epoch:03d}.png", image_grid(images.float()))

    def export(self) -> list[Path]:
        """Write each exported generator as ``<stem>.safetensors`` (config in metadata)."""
        from ganapps.nets import spec_of

        gens = self.generators_for_inference()
        paths = []
        for stem, name in self.task.exports().items():
            spec = spec_of(gens[name]) | self.task.weights_metadata(stem) | {"trained_steps": self.step}
            path = self.out / f"{stem}.safetensors"
            save_weights(path, gens[name], spec)
            paths.append(path)
        return paths

    def _write_run_json(self) -> None:
        info = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self.cfg).items()}
        info |= {"task": self.task.name, "world_size": self.dist.world, "total_steps": self.total_steps}
        (self.out / "run.json").write_text(json.dumps(info, indent=2, default=str))

    def _save(self, path: Path) -> None:
        state = training_state(self)  # a collective: every rank takes part
        if self.dist.is_main:
            save_state(path, state)
        ddp.barrier(self.dist)

    def _load(self, path: Path) -> None:
        restore_training_state(self, load_state(path))
