"""Translation that keeps the scene: upsampling without checkerboard, attention generators, the
scene figures (background PSNR, foreground change, periodic-artifact score), the validation
split, ``--init`` and detail transfer at full size."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.core.checkpoint import CheckpointError, save_weights
from ganapps.data.datasets import ImageFolder, UnalignedDataset, holdout
from ganapps.data.io import Image, read_image
from ganapps.eval.scene import background_psnr, foreground_change, periodic_artifact_score, scene_figures
from ganapps.nets import spec_of
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from ganapps.pipelines.translate import TranslatePipeline
from test_translate import _png, make_unaligned

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("one_thread")


def _attention_g(mask_logit: float | None = None) -> ResNetGenerator:
    """A tiny attention generator; ``mask_logit`` fixes its mask (weights 0, that bias)."""
    torch.manual_seed(0)
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1, upsample="resize", attention=True))
    if mask_logit is not None:
        last = g.model[-1]
        with torch.no_grad():
            last.weight[-1].zero_()
            last.bias[-1] = mask_logit
    return g.eval()


# ------------------------------------------------------------------------------------- nets
@pytest.mark.parametrize("upsample", ["resize", "transpose"])
def test_upsampling_options_keep_the_shape_and_resize_has_no_transposed_convolution(upsample: str) -> None:
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1, upsample=upsample))
    assert g(torch.randn(2, 3, 24, 36)).shape == (2, 3, 24, 36)
    has_transposed = any(isinstance(m, nn.ConvTranspose2d) for m in g.modules())
    assert has_transposed == (upsample == "transpose")


def test_unknown_upsampling_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown upsample 'pixelshuffle'"):
        ResNetGenerator(ResNetGeneratorConfig(upsample="pixelshuffle"))


def test_attention_generator_keeps_the_input_where_its_mask_is_zero_and_paints_where_it_is_one() -> None:
    x = torch.rand(1, 3, 16, 20) * 2 - 1
    y, mask = _attention_g(-1000.0).forward_with_mask(x)
    assert mask is not None and torch.equal(mask, torch.zeros_like(mask))
    assert torch.equal(y, x)
    g = _attention_g(1000.0)
    y, mask = g.forward_with_mask(x)
    content = torch.tanh(g.model(x)[:, :3])
    assert torch.equal(mask, torch.ones_like(mask)) and torch.allclose(y, content, atol=1e-6)
    assert not torch.allclose(y, x, atol=0.1)


# ---------------------------------------------------------------------------- scene figures
def test_background_psnr_and_foreground_change_on_hand_made_images() -> None:
    x = torch.zeros(3, 40, 40)  # 0.5 grey on [0, 1]
    fg = np.zeros((40, 40), bool)
    fg[10:20, 10:20] = True
    y = x.clone()
    y[:, 10:20, 10:20] = 1.0  # the animal goes white: +0.5 on [0, 1]
    assert background_psnr(x, y, fg) == float("inf")
    assert foreground_change(x, y, fg) == pytest.approx(0.5)
    y += 0.2  # and the whole background shifts by 0.1 on [0, 1]: PSNR 20 dB
    y[:, 10:20, 10:20] = 1.0
    assert background_psnr(x, y, fg) == pytest.approx(20.0, abs=1e-4)
    assert foreground_change(x, x, fg) == 0.0  # "changed nothing" shows
    figs = scene_figures(x[None], y[None], [fg])
    assert figs["background_psnr"] == pytest.approx(20.0, abs=1e-4) and figs["foreground_change"] == pytest.approx(0.5)


def test_background_psnr_leaves_out_the_dilated_outline() -> None:
    """A change one pixel outside the animal is its outline, not the background."""
    x = torch.zeros(3, 100, 100)
    fg = np.zeros((100, 100), bool)
    fg[40:60, 40:60] = True
    y = x.clone()
    y[:, 39, 40:60] = 1.0
    assert background_psnr(x, y, fg) == float("inf")
    y[:, 5, 5] = 1.0
    assert background_psnr(x, y, fg) < 50


def test_periodic_artifact_score_flags_a_checkerboard_not_a_photo_like_image() -> None:
    rng = np.random.default_rng(0)
    noise = torch.from_numpy(rng.normal(size=(96, 96))).float()
    smooth = torch.nn.functional.avg_pool2d(noise[None, None], 5, 1, 2)[0, 0]  # a blurry, photo-like field
    checker = torch.from_numpy(np.indices((96, 96)).sum(0) % 2 * 0.3).float()
    assert periodic_artifact_score(smooth) < 3
    assert periodic_artifact_score(smooth + checker) > 5 * periodic_artifact_score(smooth)
    grid4 = torch.from_numpy(((np.indices((96, 96)) % 4 == 0).all(0)) * 0.5).float()
    assert periodic_artifact_score(smooth + grid4) > 3 * periodic_artifact_score(smooth)
    with pytest.raises(ValueError, match="too small"):
        periodic_artifact_score(torch.zeros(6, 6))


# -------------------------------------------------------------------------- validation split
def test_validation_split_is_disjoint_deterministic_and_prefers_masked_images(tmp_path: Path) -> None:
    root = make_unaligned(tmp_path / "data", n=30, size=12)
    masked = sorted((root / "trainA").iterdir())[10:25]
    for f in masked:
        _png(root / "trainA_seg" / f.name, np.full((12, 12, 3), 255, np.uint8))
    a = UnalignedDataset(root, "train", 12, seed=0, val=3)
    b = UnalignedDataset(root, "train", 12, seed=7, val=3)
    assert a.val_files == b.val_files and len(a.val_files["A"]) == 3 and len(a.files_a) == 27
    assert not set(a.val_files["A"]) & set(a.files_a) and not set(a.val_files["B"]) & set(a.files_b)
    assert set(a.val_files["A"]) <= set(masked)  # drawn from the images that have masks
    assert holdout(sorted((root / "trainA").iterdir()), 0) == (sorted((root / "trainA").iterdir()), [])


def test_training_with_a_validation_split_logs_val_jsonl_and_keeps_snapshots(tmp_path: Path) -> None:
    root = make_unaligned(tmp_path / "data", n=20, size=40)
    for d in "AB":
        for f in (root / f"train{d}").iterdir():
            m = np.zeros((40, 40, 3), np.uint8)
            m[10:30, 10:30] = 255
            _png(root / f"train{d}_seg" / f.name, m)
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "cyclegan", "--data", str(root), "--out", str(run), "--size", "32", "--epochs", "2",
                            "--batch-size", "6", "--ngf", "4", "--n-blocks", "1", "--val", "2", "--device", "cpu",
                            "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    records = [json.loads(line) for line in (run / "val.jsonl").read_text().splitlines()]
    assert [rec["epoch"] for rec in records] == [1, 2]
    for key in ("AtoB_background_psnr", "BtoA_foreground_change", "AtoB_artifact_score"):
        assert np.isfinite(records[-1][key]), key
    snapshots = sorted((run / "snapshots").iterdir())
    assert [s.name for s in snapshots] == [f"step_{rec['step']:06d}" for rec in records]
    assert (snapshots[0] / "generator_AtoB.safetensors").exists()
    spec = TranslatePipeline(run / "generator_AtoB.safetensors").spec
    assert spec.config["attention"] and spec.config["upsample"] == "resize"  # the new defaults


# ------------------------------------------------------------------------------------ --init
def test_init_starts_from_exported_weights_and_refuses_an_incompatible_file(tmp_path: Path) -> None:
    root = make_unaligned(tmp_path / "data", n=4, size=40)
    common = ["--data", str(root), "--size", "32", "--iters", "2", "--ngf", "4", "--n-blocks", "1", "--device", "cpu",
              "--precision", "fp32", "--val", "0"]
    first = tmp_path / "first"
    assert runner.invoke(app, ["train", "cyclegan", "--out", str(first), *common]).exit_code == 0
    exported = [first / "generator_AtoB.safetensors", first / "generator_BtoA.safetensors"]

    from ganapps.core.trainer import TrainConfig, Trainer
    from ganapps.data.datasets import fixed_batch
    from ganapps.tasks.cyclegan import CycleGANConfig, CycleGANTask

    data = UnalignedDataset(root, "train", 36)
    task = CycleGANTask(CycleGANConfig(image_size=32, ngf=4, n_blocks=1), fixed_batch(data, 2))
    trainer = Trainer(task, data, TrainConfig(out=tmp_path / "second", iters=1, batch_size=1, device="cpu", progress=False))
    assert sorted(trainer.init_generators(exported)) == ["G_AB", "G_BA"]
    saved = TranslatePipeline(exported[1]).net.state_dict()
    assert all(torch.equal(saved[k], v) for k, v in task.generators["G_BA"].state_dict().items())

    r = runner.invoke(app, ["train", "cyclegan", "--out", str(tmp_path / "wide"), *common, "--ngf", "8",
                            "--init", str(exported[0])])
    assert r.exit_code == 1
    assert r.output.strip().count("\n") == 0 and "differs from this run's G_AB in ngf" in r.output, r.output
    r = runner.invoke(app, ["train", "cyclegan", "--out", str(tmp_path / "ok"), *common, "--init", str(exported[0]),
                            "--init", str(exported[1])])
    assert r.exit_code == 0, r.output
    with pytest.raises(CheckpointError, match="differs"):
        plain = CycleGANTask(CycleGANConfig(image_size=32, ngf=4, n_blocks=1, attention=False), fixed_batch(data, 2))
        Trainer(plain, data, TrainConfig(out=tmp_path / "third", iters=1, batch_size=1, device="cpu",
                                         progress=False)).init_generators(exported[:1])


# --------------------------------------------------------------------------- detail transfer
def test_detail_transfer_returns_an_untouched_photo_bit_identical_at_full_size(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (90, 130, 3), dtype=np.uint8)  # fine detail a resize would blur
    path = _png(tmp_path / "photo.png", photo)
    weights = tmp_path / "keep.safetensors"
    g = _attention_g(-1000.0)  # a model that changes nothing
    save_weights(weights, g, spec_of(g) | {"task": "translate", "model": "cyclegan", "image_size": 32, "input": "photo"})
    pipe = TranslatePipeline(weights, precision="fp32")
    out = pipe(read_image(path))
    assert out.size == (90, 130)
    assert np.abs(np.round(out.rgb * 255) - photo).max() <= 1
    blurred = TranslatePipeline(weights, precision="fp32", keep_detail=False)(read_image(path))
    assert np.abs(np.round(blurred.rgb * 255) - photo).mean() > 10  # what enlarging the output loses


def test_detail_transfer_carries_the_model_change_to_full_size(tmp_path: Path) -> None:
    weights = tmp_path / "paint.safetensors"
    g = _attention_g(1000.0)  # paints everything
    save_weights(weights, g, spec_of(g) | {"task": "translate", "model": "cyclegan", "image_size": 32, "input": "photo"})
    image = Image(np.full((64, 64, 3), 0.5, np.float32))
    out = TranslatePipeline(weights, precision="fp32")(image)
    small = TranslatePipeline(weights, precision="fp32", keep_detail=False)(image)
    assert np.abs(out.rgb - small.rgb).max() < 0.02  # a flat input has no detail to add


def test_eval_translate_on_the_held_out_split_reports_scene_figures(tmp_path: Path) -> None:
    root = make_unaligned(tmp_path / "data", n=20, size=40)
    for f in (root / "trainA").iterdir():
        m = np.zeros((40, 40, 3), np.uint8)
        m[10:30, 10:30] = 255
        _png(root / "trainA_seg" / f.name, m)
    weights = tmp_path / "keep.safetensors"
    g = _attention_g(-1000.0)
    save_weights(weights, g, spec_of(g) | {"task": "translate", "model": "cyclegan", "image_size": 32, "input": "photo"})
    clf = tmp_path / "clf.safetensors"
    r = runner.invoke(app, ["train", "domain-classifier", "--data", str(root), "--out", str(clf), "--size", "16", "--epochs", "1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["eval", "translate", "--task", "horse2zebra", "--data", str(root), "--split", "val",
                            "--model", str(weights), "--classifier", str(clf), "--device", "cpu"])
    assert r.exit_code == 0, r.output
    assert not re.search(r"\bnan\b", r.output, re.I), r.output  # every figure a number
    assert "held-out trainA" in r.output and "background PSNR" in r.output and "100.00" in r.output, r.output
    r = runner.invoke(app, ["eval", "translate", "--task", "horse2zebra", "--data", str(root), "--split", "nope",
                            "--model", str(weights), "--classifier", str(clf)])
    assert r.exit_code == 2 and "--split" in r.output


def test_judge_never_trains_on_the_photos_held_out_for_validation(tmp_path: Path) -> None:
    from ganapps.eval.domain import training_images
    from ganapps.eval.translate import cyclegan_eval_files

    root = make_unaligned(tmp_path / "data", n=20, size=40)
    for d in "AB":
        for f in sorted((root / f"train{d}").iterdir())[::2]:  # masks for half: validation comes from those
            _png(root / f"train{d}_seg" / f.name, np.full((40, 40, 3), 255, np.uint8))
    images, labels = training_images(root, 16)
    assert labels.tolist() == [0] * 18 + [1] * 18  # 2 of 20 held out per domain (a tenth)
    for label, d in enumerate("AB"):
        val = cyclegan_eval_files(root, d, "val")[0]
        assert len(val) == 2
        held_out = ImageFolder(root / f"train{d}", 18).stack(val)
        assert not any(torch.equal(v, x) for v in held_out for x in images[labels == label])


def test_attention_warm_up_floor_falls_from_one_to_zero_and_resumes_with_the_run() -> None:
    from ganapps.tasks.cyclegan import CycleGANConfig, CycleGANTask

    batch = {"A": torch.rand(1, 3, 34, 34) * 2 - 1, "B": torch.rand(1, 3, 34, 34) * 2 - 1}
    task = CycleGANTask(CycleGANConfig(image_size=32, ngf=4, ndf=4, n_blocks=1, attention_warmup=4), batch)
    floors = [task.generate(task.augment(batch))["mask_floor"] for _ in range(6)]
    assert floors == [0.75, 0.5, 0.25, 0.0, 0.0, 0.0]
    resumed = CycleGANTask(CycleGANConfig(image_size=32, ngf=4, ndf=4, n_blocks=1, attention_warmup=4), batch)
    resumed.load_state_dict(task.state_dict())
    assert resumed.steps == 6
    g = _attention_g(-1000.0)  # a closed mask: floor 1 gives the plain generator's content
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    assert torch.allclose(g(x, mask_floor=1.0), torch.tanh(g.model(x)[:, :3]), atol=1e-6)
    assert torch.equal(g(x), x)


def test_the_cycle_output_trains_the_content_and_not_the_mask() -> None:
    from ganapps.tasks.cyclegan import CycleGANConfig, CycleGANTask

    batch = {"A": torch.rand(1, 3, 34, 34) * 2 - 1, "B": torch.rand(1, 3, 34, 34) * 2 - 1}
    task = CycleGANTask(CycleGANConfig(image_size=32, ngf=4, ndf=4, n_blocks=1), batch)
    g = task.generators["G_AB"]
    last = [m for m in g.modules() if isinstance(m, nn.Conv2d)][-1]
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    for which, mask_trained in ((0, True), (1, False)):  # 0: the output D sees, 1: the cycle's copy
        g.zero_grad()
        task._translate(g, x, 0.0)[which].square().sum().backward()
        mask_grad = last.weight.grad[-1].abs().sum().item()
        assert last.weight.grad[:-1].abs().sum() > 0
        assert (mask_grad > 0) == mask_trained
