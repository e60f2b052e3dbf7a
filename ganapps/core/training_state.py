"""What a checkpoint holds, so that ``--resume`` continues a run exactly where it stopped: the
nets, their EMA copies, optimizers, LR schedulers, gradient scalers, the head's own state (e.g.
CycleGAN's image pools) and every random generator (per rank under DDP)."""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from . import distributed as ddp
from .checkpoint import CheckpointError, load_weights

if TYPE_CHECKING:
    from .trainer import Trainer


def _rng_states(trainer: Trainer) -> dict[str, Any]:
    torch_states = ddp.all_gather_tensor(torch.get_rng_state().to(trainer.device), trainer.dist)
    return {
        "torch": [s.cpu() for s in torch_states],
        "cuda": torch.cuda.get_rng_state(trainer.device) if trainer.device.type == "cuda" else None,
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }


def training_state(trainer: Trainer) -> dict[str, Any]:
    """Everything needed to resume (a collective under DDP: every rank must call it)."""
    t = trainer
    nets = {**t.task.generators, **t.task.discriminators}
    return {
        "step": t.step,
        "nets": {k: ddp.unwrap(m).state_dict() for k, m in nets.items()},
        "ema": {k: m.state_dict() for k, m in t.ema.items()},
        "opt_g": t.opt_g.state_dict(),
        "opt_d": t.opt_d.state_dict() if t.opt_d is not None else None,
        "sched_g": t.sched_g.state_dict(),
        "sched_d": t.sched_d.state_dict() if t.sched_d is not None else None,
        "scaler_g": t.scaler_g.state_dict(),
        "scaler_d": t.scaler_d.state_dict(),
        "task": t.task.state_dict(),
        "rng": _rng_states(t),
    }


def restore_training_state(trainer: Trainer, state: dict[str, Any]) -> None:
    """Put ``state`` (from :func:`training_state`) back into ``trainer``."""
    t = trainer
    for k, m in {**t.task.generators, **t.task.discriminators}.items():
        ddp.unwrap(m).load_state_dict(state["nets"][k])
    for k, m in t.ema.items():
        m.load_state_dict(state["ema"][k])
    t.opt_g.load_state_dict(state["opt_g"])
    t.sched_g.load_state_dict(state["sched_g"])
    if t.opt_d is not None:
        t.opt_d.load_state_dict(state["opt_d"])
        t.sched_d.load_state_dict(state["sched_d"])
    t.scaler_g.load_state_dict(state["scaler_g"])
    t.scaler_d.load_state_dict(state["scaler_d"])
    t.task.load_state_dict(state["task"])
    rng = state["rng"]
    torch_states = rng["torch"]
    torch.set_rng_state(torch_states[t.dist.rank] if t.dist.rank < len(torch_states) else torch_states[0])
    if t.device.type == "cuda" and rng["cuda"] is not None:
        torch.cuda.set_rng_state(rng["cuda"], t.device)
    np.random.set_state(rng["numpy"])
    random.setstate(rng["python"])
    t.step = int(state["step"])


def init_generators(trainer: Trainer, paths: list[Path]) -> list[str]:
    """Load exported generator weights (``--init``) into the matching generators of a new run;
    returns the names loaded. A file is matched by the generator name in its metadata, else by
    its file stem or direction against the task's exports, else to the only generator; its
    architecture and configuration must equal the run's, or a one-line error says what differs.
    """
    from ganapps.nets import spec_of

    exports, loaded = trainer.task.exports(), []
    for path in map(Path, paths):
        tensors, spec = load_weights(path)
        name = spec.get("generator") or exports.get(path.stem) or exports.get(f"generator_{spec.get('direction')}")
        if name is None and len(trainer.task.generators) == 1:
            name = next(iter(trainer.task.generators))
        if name not in trainer.task.generators:
            raise CheckpointError(f"{path}: cannot tell which of {', '.join(trainer.task.generators)} it initialises")
        net = ddp.unwrap(trainer.task.generators[name])
        want = json.loads(json.dumps(spec_of(net)))  # as a file stores it: tuples become lists
        if (spec.get("arch"), spec.get("config")) != (want["arch"], want["config"]):
            diff = sorted(k for k in want["config"] if (spec.get("config") or {}).get(k) != want["config"][k])
            raise CheckpointError(
                f"{path}: its {spec.get('arch')} differs from this run's {name} in {', '.join(diff) or 'architecture'}"
            )
        net.load_state_dict({k: t.float() if t.is_floating_point() else t for k, t in tensors.items()})
        loaded.append(name)
    for name, avg in trainer.ema.items():
        avg.load_state_dict(ddp.unwrap(trainer.task.generators[name]).state_dict())
    return loaded
