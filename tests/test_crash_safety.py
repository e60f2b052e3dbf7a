"""Issue 7: a training run survives ``kill -9``, at any moment and in the middle of a checkpoint write.

Real ``ganapps train dcgan`` processes on a tiny IDX dataset (8 steps per epoch, a checkpoint at
each epoch end): one runs straight through; another is SIGKILLed once its first checkpoint exists,
then resumed with ``--resume``; the final weights must be bit-identical.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from conftest import make_idx_dataset
from ganapps.core.checkpoint import load_state, save_state
from ganapps.core.trainer import CHECKPOINT

ITERS = 24  # 3 epochs of 8 steps (64 images, batch 8)
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _train(data: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "ganapps", "train", "dcgan", "--data", str(data), "--out", str(out),
            "--iters", str(ITERS), "--batch-size", "8", "--precision", "fp32", "--device", "cpu", *extra]  # fmt: skip


def _generator(run: Path) -> dict[str, torch.Tensor]:
    return load_state(run / CHECKPOINT)["nets"]["G"]


def test_kill_9_then_resume_gives_bit_identical_weights(tmp_path: Path) -> None:
    data = make_idx_dataset(tmp_path / "idx", n_train=64, n_test=8)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_train(data, killed), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (killed / CHECKPOINT).exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it was killed: {err.decode()[-500:]}"
    step_at_kill = load_state(killed / CHECKPOINT)["step"]
    assert 0 < step_at_kill < ITERS

    straight = tmp_path / "straight"
    subprocess.run(_train(data, straight), env=ENV, check=True, capture_output=True, timeout=300)
    resumed = subprocess.run(_train(data, killed, "--resume"), env=ENV, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr

    a, b = _generator(straight), _generator(killed)
    assert load_state(killed / CHECKPOINT)["step"] == ITERS and a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]


KILL_MID_WRITE = """
import os, signal, sys
from ganapps.core.checkpoint import save_state

def die(src, dst):  # the new file is complete on disk but not yet renamed over the old one
    os.kill(os.getpid(), signal.SIGKILL)

os.replace = die
save_state(sys.argv[1], {"step": 2, "w": __import__("torch").full((1000,), 2.0)})
"""


def test_kill_9_during_a_checkpoint_write_keeps_the_previous_one(tmp_path: Path) -> None:
    path = tmp_path / CHECKPOINT
    save_state(path, {"step": 1, "w": torch.full((1000,), 1.0)})
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", KILL_MID_WRITE, str(path)], env=ENV, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-500:]
    leftovers = [p for p in tmp_path.iterdir() if p != path]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(f".{CHECKPOINT}.")  # died mid-write, really
    assert leftovers[0].stat().st_size > 4000  # the new checkpoint was fully written, then the rename never came
    assert path.read_bytes() == before
    state = load_state(path)
    assert state["step"] == 1 and torch.equal(state["w"], torch.full((1000,), 1.0))
