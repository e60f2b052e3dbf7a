"""The shared adversarial core: freezing, learning, exact resume, NaN guard, schedules."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from ganapps.core.checkpoint import load_state, load_weights
from ganapps.core.losses import get_loss
from ganapps.core.trainer import CHECKPOINT, TrainConfig, Trainer, TrainingDiverged, lr_factor
from ganapps.data.idx import IDXImages
from ganapps.tasks.dcgan import DCGANConfig, DCGANTask
from ganapps.core.task import Task

TARGET_MEAN, TARGET_STD = torch.tensor([3.0, -2.0]), 0.5


class ToyTask(Task):
    """A GAN on points: learn N((3, -2), 0.5²) from N(0, 1) noise. Small enough to train in seconds."""

    name = "toy"

    def __init__(self):
        torch.manual_seed(0)
        self.generators = {"G": nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))}
        self.discriminators = {"D": nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))}
        self.loss = get_loss("vanilla")

    def optimizers(self):
        return (
            torch.optim.Adam(self.generators["G"].parameters(), 2e-3, betas=(0.5, 0.999)),
            torch.optim.Adam(self.discriminators["D"].parameters(), 2e-3, betas=(0.5, 0.999)),
        )

    def generate(self, batch):
        return self.generators["G"](torch.randn_like(batch[0]))

    def d_loss(self, batch, fake):
        real, fake = self.discriminators["D"](batch[0]), self.discriminators["D"](fake)
        acc_r, acc_f = self.loss.accuracy(real, fake)
        return self.loss.d(real, fake), {"d_acc_real": acc_r, "d_acc_fake": acc_f}

    def g_loss(self, batch, fake):
        return self.loss.g(self.discriminators["D"](fake)), {}

    def samples(self, generators):
        """A 2-D histogram of 4096 samples as a 32×32 image."""
        pts = generators["G"](torch.randn(4096, 2, generator=torch.Generator().manual_seed(0)))
        hist = torch.histogramdd(pts.float(), bins=[32, 32], range=[0.0, 6.0, -5.0, 1.0]).hist
        return (hist / hist.max().clamp(min=1) * 2 - 1)[None, None]

    def exports(self):
        return {}

    def weights_metadata(self, stem):
        return {}


def toy_data(n=2048):
    g = torch.Generator().manual_seed(1)
    return TensorDataset(TARGET_MEAN + TARGET_STD * torch.randn(n, 2, generator=g))


def sample_stats(trainer):
    with torch.no_grad():
        x = trainer.task.generators["G"](torch.randn(4096, 2))
    return x.mean(0), x.std(0)


def test_generator_frozen_during_d_step_and_discriminator_during_g_step(tmp_path):
    trainer = Trainer(ToyTask(), toy_data(), TrainConfig(out=tmp_path, iters=1, batch_size=64, progress=False, precision="fp32"))
    G, D = trainer.task.generators["G"], trainer.task.discriminators["D"]
    batch = next(iter(trainer._loader(0, 0)))
    fake = trainer.task.generate(batch)

    g_before = [p.clone() for p in G.parameters()]
    d_before = [p.clone() for p in D.parameters()]
    trainer.d_step(batch, fake)
    assert all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
    assert all(p.grad is None for p in G.parameters()), "no gradient may be computed for the frozen G"
    assert not all(torch.equal(a, b) for a, b in zip(d_before, D.parameters())), "D must have learned"

    d_after = [p.clone() for p in D.parameters()]
    trainer.g_step(batch, fake)
    assert all(torch.equal(a, b) for a, b in zip(d_after, D.parameters()))
    assert all(p.grad is None for p in D.parameters()), "no gradient may be computed for the frozen D"
    assert not all(torch.equal(a, b) for a, b in zip(g_before, G.parameters())), "G must have learned"
    assert all(p.requires_grad for p in [*G.parameters(), *D.parameters()]), "freezing is undone afterwards"


def test_tiny_gan_learns_the_target_distribution(tmp_path):
    trainer = Trainer(ToyTask(), toy_data(), TrainConfig(out=tmp_path, epochs=12, batch_size=64, progress=False, precision="fp32"))
    mean0, _ = sample_stats(trainer)
    summary = trainer.fit()
    mean, std = sample_stats(trainer)
    err0, err = (mean0 - TARGET_MEAN).norm().item(), (mean - TARGET_MEAN).norm().item()
    assert err < 0.3 < err0, (err0, err)
    assert ((std - TARGET_STD).abs() < 0.25).all(), std
    # When G matches the data, D is near chance: the teaching point of the accuracy curve.
    last = summary["last"]
    assert 0.25 < (last["d_acc_real"] + last["d_acc_fake"]) / 2 < 0.8
    assert (tmp_path / "curves.png").exists() and (tmp_path / "training.gif").exists()
    assert (tmp_path / "samples" / "epoch_012.png").exists()


def _dcgan_trainer(out: Path, data: Path, iters: int = 6, loss: str = "vanilla", **run) -> Trainer:
    torch.manual_seed(0)
    task = DCGANTask(DCGANConfig(nz=16, ngf=8, ndf=8, samples=4, loss=loss))
    settings = {"precision": "fp32", **run}
    cfg = TrainConfig(out=out, iters=iters, batch_size=32, progress=False, checkpoint_every=2, log_every=1, **settings)
    return Trainer(task, IDXImages(data), cfg)


def _all_params(trainer: Trainer) -> dict[str, torch.Tensor]:
    nets = {**trainer.task.generators, **trainer.task.discriminators}
    return {f"{n}.{k}": v for n, net in nets.items() for k, v in net.state_dict().items()}


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="fp16 (and its gradient scaler) trains on CUDA only")
RUNS = [  # the settings whose state a checkpoint must carry
    pytest.param({}, id="fp32"),
    pytest.param({"loss": "wgan-gp", "d_steps": 5}, id="wgan-gp, 5 D steps a G step"),
    pytest.param({"precision": "bf16", "ema": 0.9, "lr_schedule": "linear"}, id="bf16, EMA, linear LR decay"),
    pytest.param({"precision": "fp16", "device": "cuda"}, id="fp16 with its gradient scaler", marks=CUDA),
]


@pytest.mark.parametrize("run", RUNS)
def test_resume_is_bit_exact(tmp_path, idx_data, run):
    straight = _dcgan_trainer(tmp_path / "a", idx_data, **run)
    straight.fit()

    first = _dcgan_trainer(tmp_path / "b", idx_data, **run)
    first.fit(max_steps=3)  # stop mid-epoch (8 batches per epoch here), as a crash would
    del first
    torch.manual_seed(999)  # a different process state must not matter
    resumed = _dcgan_trainer(tmp_path / "b", idx_data, **run)
    resumed.fit(resume=True)

    a, b = _all_params(straight), _all_params(resumed)
    a |= {f"ema.{k}": v for k, v in (straight.ema.get("G") or nn.Module()).state_dict().items()}
    b |= {f"ema.{k}": v for k, v in (resumed.ema.get("G") or nn.Module()).state_dict().items()}
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    assert resumed.opt_g.state_dict()["state"][0]["step"] == straight.opt_g.state_dict()["state"][0]["step"] == 6
    assert resumed.scaler_g.state_dict() == straight.scaler_g.state_dict()
    steps = [r["step"] for r in resumed.metrics.read()]
    assert steps == sorted(set(steps)) == list(range(1, 7)), "metrics of a resumed run have no duplicates"


def test_the_schedule_is_applied_and_ema_weights_are_exported(tmp_path, idx_data):
    trainer = _dcgan_trainer(tmp_path / "run", idx_data, iters=8, lr_schedule="linear", ema=0.9, d_steps=2)
    trainer.fit(max_steps=6)
    base = trainer.task.config.lr
    assert trainer.opt_g.param_groups[0]["lr"] == pytest.approx(base * lr_factor("linear", 6, 8, 0.5)) == base / 2
    assert trainer.opt_d.param_groups[0]["lr"] == pytest.approx(base / 2)
    assert trainer.steps_per_epoch == 4  # 8 batches of 32, two per step
    trainer.fit(resume=True)
    assert trainer.opt_g.param_groups[0]["lr"] == 0.0
    tensors, _ = load_weights(tmp_path / "run" / "generator.safetensors")
    ema, live = trainer.ema["G"].state_dict(), trainer.task.generators["G"].state_dict()
    assert all(torch.equal(tensors[k], ema[k]) for k in ema) and not all(torch.equal(tensors[k], live[k]) for k in live)


def test_the_exported_weights_are_the_final_ones_when_the_run_ends_mid_epoch(tmp_path, idx_data):
    trainer = _dcgan_trainer(tmp_path / "run", idx_data)  # 6 steps of an 8-step epoch
    trainer.fit(max_steps=3)
    assert not (tmp_path / "run" / "generator.safetensors").exists(), "a paused run exports nothing"
    trainer.fit(resume=True)
    tensors, spec = load_weights(tmp_path / "run" / "generator.safetensors")
    assert spec["trained_steps"] == 6
    live = trainer.task.generators["G"].state_dict()
    assert all(torch.equal(tensors[k], v) for k, v in live.items())


def test_refuses_to_overwrite_a_run_and_to_resume_nothing(tmp_path, idx_data):
    with pytest.raises(FileNotFoundError):
        _dcgan_trainer(tmp_path / "none", idx_data).fit(resume=True)
    _dcgan_trainer(tmp_path / "run", idx_data, iters=1).fit()
    with pytest.raises(FileExistsError, match="--resume"):
        _dcgan_trainer(tmp_path / "run", idx_data, iters=1).fit()


@pytest.mark.parametrize("which", ["g_loss", "d_loss"])
def test_nan_guard_stops_and_keeps_last_good_checkpoint(tmp_path, idx_data, which):
    trainer = _dcgan_trainer(tmp_path / "run", idx_data, iters=6)
    trainer.fit(max_steps=2)
    good = load_state(tmp_path / "run" / CHECKPOINT)
    original = getattr(trainer.task, which)
    setattr(trainer.task, which, lambda batch, fake: (original(batch, fake)[0] * float("nan"), {}))
    net = {"g_loss": "generator", "d_loss": "discriminator"}[which]
    with pytest.raises(TrainingDiverged, match=f"{net} loss became nan at step 3.*lower learning rate"):
        trainer.fit(resume=True)
    kept = load_state(tmp_path / "run" / CHECKPOINT)
    assert kept["step"] == good["step"] == 2
    assert all(torch.equal(kept["nets"]["G"][k], good["nets"]["G"][k]) for k in good["nets"]["G"])


def test_lr_schedules():
    assert lr_factor("constant", 90, 100, 0.5) == 1.0
    assert lr_factor("linear", 49, 100, 0.5) == 1.0
    assert lr_factor("linear", 75, 100, 0.5) == pytest.approx(0.5)
    assert lr_factor("linear", 100, 100, 0.5) == 0.0
    assert lr_factor("cosine", 50, 100, 0.5) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        lr_factor("step", 0, 1, 0.5)


def test_ema_is_decay_times_itself_plus_the_rest_times_the_new_weights(tmp_path):
    cfg = TrainConfig(out=tmp_path, iters=20, batch_size=64, progress=False, precision="fp32", ema=0.9)
    trainer = Trainer(ToyTask(), toy_data(), cfg)
    batch = [next(iter(torch.utils.data.DataLoader(toy_data(), batch_size=64)))]
    for step, decay in ((0, 0.1), (1, 2 / 11), (100, 0.9)):  # warmed up: (1 + step) / (10 + step), at most 0.9
        trainer.step = step
        before = [p.clone() for p in trainer.ema["G"].parameters()]
        trainer.train_step(batch)
        live, avg = list(trainer.task.generators["G"].parameters()), list(trainer.ema["G"].parameters())
        for e0, p, e in zip(before, live, avg):
            torch.testing.assert_close(e, decay * e0 + (1 - decay) * p.detach())
    assert not all(torch.equal(a, p) for a, p in zip(avg, live)), "an average, not a copy"


def test_sigterm_stops_cleanly_with_a_checkpoint_and_resume_finishes_the_run(tmp_path, idx_data):
    import os
    import signal

    trainer = _dcgan_trainer(tmp_path / "run", idx_data, iters=6)
    trainer.cfg.checkpoint_every = 1000  # only the stop itself checkpoints here
    original = trainer.train_step

    def step_then_signal(batches):
        logs = original(batches)
        if trainer.step == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` or a session's end would
        return logs

    trainer.train_step = step_then_signal
    before = signal.getsignal(signal.SIGTERM)
    summary = trainer.fit()
    assert signal.getsignal(signal.SIGTERM) == before  # the run's handler is gone once it returns
    assert summary["stopped"] and trainer.step == 2
    assert load_state(tmp_path / "run" / CHECKPOINT)["step"] == 2
    resumed = _dcgan_trainer(tmp_path / "run", idx_data, iters=6)
    done = resumed.fit(resume=True)
    assert not done["stopped"] and resumed.step == 6


def test_checkpoints_when_too_long_has_passed_since_the_last(tmp_path, idx_data):
    trainer = _dcgan_trainer(tmp_path / "run", idx_data, iters=3)
    trainer.cfg.checkpoint_every, trainer.cfg.checkpoint_minutes = 1000, 0.0  # every step is overdue
    saved = []
    original = trainer._save
    trainer._save = lambda path: (saved.append(trainer.step), original(path))
    trainer.fit()
    assert saved == [1, 2, 3]


def test_resume_refuses_flags_that_change_the_run(tmp_path, idx_data):
    first = _dcgan_trainer(tmp_path / "run", idx_data, iters=6)
    first.fit(max_steps=2)
    other = _dcgan_trainer(tmp_path / "run", idx_data, iters=6)
    other.cfg.batch_size = 64
    with pytest.raises(ValueError, match=r"other settings .*batch_size 32 → 64"):
        other.fit(resume=True)
    shorter = _dcgan_trainer(tmp_path / "run", idx_data, iters=4)
    with pytest.raises(ValueError, match=r"iters 6 → 4"):
        shorter.fit(resume=True)
    longer = _dcgan_trainer(tmp_path / "run", idx_data, iters=8)  # a longer run is allowed
    assert longer.fit(resume=True)["steps"] == 6
