"""Scale-out and compiled training: ``--nproc`` relaunches under torchrun, DDP reproduces a
single-process run with the same global batch, and ``compile=True`` changes no number."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from ddp_equivalence import STEPS, PairsTask, train
from ganapps.core.checkpoint import load_state
from ganapps.core.trainer import TrainConfig, Trainer
from ganapps.data.idx import IDXImages
from ganapps.tasks.dcgan import DCGANConfig, DCGANTask

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def test_ddp_matches_one_process_with_the_same_global_batch(tmp_path):
    """2 gloo processes × batch 4 vs 1 process × batch 8, 3 Adam steps of G and D (see
    ddp_equivalence.py for why not DCGAN). Only the order of floating-point sums differs (gradients
    are averaged across ranks instead of within one batch); each step moves a weight by up to
    lr = 2e-4, so a wrong sampler split or gradient average would show far above 1e-6."""
    worker = Path(__file__).with_name("ddp_equivalence.py")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", str(worker),
           str(tmp_path / "ddp")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = load_file(str(tmp_path / "ddp" / "ddp_params.safetensors"))
    assert result["world"].item() == 2 and result["identical"].item(), "replicas diverged"
    trainer, single = train(tmp_path / "single")
    assert trainer.dist.world == 1 and trainer.step == STEPS
    start = PairsTask()
    initial = torch.cat([p.flatten() for n in (start.generators["G"], start.discriminators["D"]) for p in n.parameters()])
    assert (single - initial).abs().max().item() > 1e-4, "training did not move the weights"
    assert (result["flat"] - single).abs().max().item() < 1e-6  # measured: 2e-8


def test_nproc_relaunches_the_command_under_torchrun(tmp_path, idx_data):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "ganapps", "train", "dcgan", "--data", str(idx_data), "--out", str(out), "--iters", "2",
           "--batch-size", "32", "--precision", "fp32", "--nproc", "2"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((out / "run.json").read_text())["world_size"] == 2
    assert proc.stdout.count("trained 2 steps") == 1, "only rank 0 reports"
    assert [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()] == [2]
    assert load_state(out / "checkpoint.safetensors")["step"] == 2


def test_compiled_training_matches_eager(tmp_path, idx_data, monkeypatch):
    """``compile=True`` through dynamo with the eager backend (no C++ toolchain needed): the same
    numbers as without it, and the checkpoint's parameter names are unchanged."""
    real_compile = torch.compile
    monkeypatch.setattr(torch, "compile", lambda fn, **kw: real_compile(fn, backend="eager"))
    data = IDXImages(idx_data, "train")
    params = []
    for compiled in (False, True):
        torch.manual_seed(0)
        task = DCGANTask(DCGANConfig(nz=8, ngf=4, ndf=4, samples=4))
        cfg = TrainConfig(out=tmp_path / str(compiled), iters=2, batch_size=16, precision="fp32", progress=False,
                          compile=compiled)
        trainer = Trainer(task, data, cfg)
        trainer.fit()
        names = set(load_state(tmp_path / str(compiled) / "checkpoint.safetensors")["nets"]["G"])
        assert names == set(task.generators["G"].state_dict())
        params.append(torch.cat([p.detach().flatten() for p in task.generators["G"].parameters()]))
    torch._dynamo.reset()
    assert torch.allclose(params[0], params[1], atol=1e-6)
