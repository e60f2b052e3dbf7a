"""CUT (one-sided contrastive translation): PatchNCE, what trains the mask, training end to end."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.data.datasets import fixed_batch
from ganapps.nets.patch_nce import PatchSampler, patch_nce
from ganapps.pipelines.translate import TranslatePipeline
from ganapps.tasks.cut import CUTConfig, CUTTask

from test_translate import make_unaligned

runner = CliRunner()


def test_patch_nce_is_low_when_each_patch_finds_its_own_and_high_when_they_are_shuffled() -> None:
    torch.manual_seed(0)
    k = F.normalize(torch.randn(2, 64, 16), dim=-1)
    matched = patch_nce(k, k).item()
    shuffled = patch_nce(k[:, torch.randperm(64)], k).item()
    assert matched < 0.1  # each patch is far closer to itself than to the other 63
    assert shuffled > np.log(64) - 1  # no better than chance among 64 candidates


def test_patch_sampler_samples_input_and_output_at_the_same_places() -> None:
    sampler = PatchSampler([3], dim=8, patches=5)
    x = torch.randn(2, 3, 6, 6)
    ids = sampler.locations([x])
    assert ids[0].shape == (5,) and len(set(ids[0].tolist())) == 5
    q, k = sampler([x], ids)[0], sampler([x.clone()], ids)[0]
    assert q.shape == (2, 5, 8) and torch.equal(q, k)
    assert torch.allclose(q.norm(dim=-1), torch.ones(2, 5))


def _task(**kw) -> CUTTask:
    torch.manual_seed(0)
    batch = {"A": torch.rand(2, 3, 36, 36) * 2 - 1, "B": torch.rand(2, 3, 36, 36) * 2 - 1}
    return CUTTask(CUTConfig(image_size=32, ngf=4, ndf=4, n_blocks=1, nce_patches=16, **kw), batch)


def test_nce_trains_the_content_and_the_sampler_but_never_the_attention_mask() -> None:
    task = _task(attention_warmup=0)
    batch = task.augment({"A": torch.rand(2, 3, 36, 36) * 2 - 1, "B": torch.rand(2, 3, 36, 36) * 2 - 1})
    out = task.generate(batch)
    nce = task.nce(batch["A"], out["fake_B_nce"]) + task.nce(batch["B"], out["idt_B"])
    nce.backward()
    last = task.generators["G"].model[-1]  # its output channels: 3 of content, then the mask
    assert last.weight.grad[:3].abs().sum() > 0
    assert last.weight.grad[3].abs().sum() == 0  # the mask is left to the adversarial loss
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in task.generators["F"].parameters())


def test_an_unchanged_image_is_what_nce_prefers() -> None:
    """The reason the mask is held fixed: G(x) = x scores a lower NCE than any other output."""
    task = _task(attention=False)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    torch.manual_seed(1)
    same = task.nce(x, x).item()
    torch.manual_seed(1)
    other = task.nce(x, torch.rand(2, 3, 32, 32) * 2 - 1).item()
    assert same < other


def test_cut_trains_from_the_command_line_scores_validation_and_translates(tmp_path: Path) -> None:
    root = make_unaligned(tmp_path / "data", n=20, size=40)
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "cut", "--data", str(root), "--out", str(run), "--size", "32", "--epochs", "2",
                            "--batch-size", "6", "--ngf", "4", "--n-blocks", "1", "--val", "2", "--device", "cpu",
                            "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    records = [json.loads(line) for line in (run / "val.jsonl").read_text().splitlines()]
    assert [rec["epoch"] for rec in records] == [1, 2]
    assert np.isfinite(records[-1]["AtoB_artifact_score"]) and "BtoA_artifact_score" not in records[-1]
    logged = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert np.isfinite(logged["nce_loss"]) and np.isfinite(logged["nce_identity_loss"])
    pipe = TranslatePipeline(run / "generator_AtoB.safetensors")
    assert pipe.spec.model == "cut" and pipe.keep_detail  # a photo model: the detail transfer applies
    assert pipe.run(torch.zeros(1, 3, 45, 37)).shape == (1, 3, 45, 37)
    r = runner.invoke(app, ["eval", "translate", "--task", "horse2zebra", "--data", str(root), "--device", "cpu",
                            "--model", str(run / "generator_AtoB.safetensors")])
    assert r.exit_code == 0 and "success" in r.output, r.output  # a CUT file serves the unpaired tasks
    r = runner.invoke(app, ["eval", "translate", "--task", "facades", "--data", str(root), "--model", str(run / "generator_AtoB.safetensors")])
    assert r.exit_code == 2 and "needs a pix2pix model" in r.output
    assert sorted(p.name for p in run.glob("*.safetensors")) == ["checkpoint.safetensors", "generator_AtoB.safetensors"]


def test_cut_resumes_bit_exact(tmp_path: Path) -> None:
    """Also covers the sampler F (trained with G, checkpointed with it) and the warm-up's step count."""
    from ganapps.core.trainer import TrainConfig, Trainer
    from ganapps.data.datasets import UnalignedDataset

    root = make_unaligned(tmp_path / "data", n=4, size=40)

    def trainer(out: Path) -> Trainer:
        ds = UnalignedDataset(root, "train", load_size=36)
        torch.manual_seed(0)
        task = CUTTask(CUTConfig(image_size=32, ngf=4, ndf=4, n_blocks=1, nce_patches=16, attention_warmup=3), fixed_batch(ds, 2))
        cfg = TrainConfig(out=out, iters=4, batch_size=2, seed=0, device="cpu", precision="fp32", lr_schedule="linear",
                          log_every=3, progress=False, checkpoint_every=1000)
        return Trainer(task, ds, cfg)

    straight = trainer(tmp_path / "straight")
    straight.fit()
    trainer(tmp_path / "paused").fit(max_steps=3)
    resumed = trainer(tmp_path / "paused")
    resumed.fit(resume=True)
    assert resumed.task.steps == straight.task.steps == 4
    for name in ("G", "F"):
        a, b = straight.task.generators[name].state_dict(), resumed.task.generators[name].state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), name
