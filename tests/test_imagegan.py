"""Image-folder GAN head (faces that are not real): nets, hinge/SN/EMA training, generate."""
from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.nets.imagegan import (
    ImageGANDiscriminator,
    ImageGANDiscriminatorConfig,
    ImageGANGenerator,
    ImageGANGeneratorConfig,
)
from ganapps.pipelines.generate import GeneratePipeline

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("size", [32, 64, 128])
def test_nets_draw_and_score_images_of_each_size_without_transposed_convolutions(size: int) -> None:
    g = ImageGANGenerator(ImageGANGeneratorConfig(ngf=4, image_size=size))
    d = ImageGANDiscriminator(ImageGANDiscriminatorConfig(ndf=4, image_size=size))
    x = g(g.sample_latent(3, torch.Generator().manual_seed(0)))
    assert x.shape == (3, 3, size, size) and x.abs().max() <= 1
    assert d(x).shape == (3,)
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in g.modules())


def test_unsupported_size_is_refused() -> None:
    with pytest.raises(ValueError, match="one of 32, 64, 128"):
        ImageGANGenerator(ImageGANGeneratorConfig(image_size=48))


@pytest.mark.parametrize("which", ["G", "D"])
def test_every_layer_of_both_nets_is_spectrally_normalised(which: str) -> None:
    if which == "G":
        net, x = ImageGANGenerator(ImageGANGeneratorConfig(nz=8, ngf=4, image_size=32)), torch.randn(4, 8)
    else:
        net, x = ImageGANDiscriminator(ImageGANDiscriminatorConfig(ndf=4, image_size=32)), torch.randn(2, 3, 32, 32)
    net.train()
    for _ in range(30):  # power iterations converge on the largest singular value
        net(x)
    net.eval()
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) >= 4
    for m in layers:
        sigma = torch.linalg.matrix_norm(m.weight.flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.05)


def test_refreshed_statistics_are_those_of_the_generators_own_samples() -> None:
    from ganapps.tasks.imagegan import ImageGANConfig, ImageGANTask

    task = ImageGANTask(ImageGANConfig(image_size=32, nz=16, width=4))
    g = ImageGANGenerator(ImageGANGeneratorConfig(nz=16, ngf=4, image_size=32))
    norms = [m for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in norms:  # the statistics of other weights, as an EMA copies them from the live G
        m.running_mean.fill_(0.5)
        m.running_var.fill_(3.0)
    z = torch.randn(256, 16, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        batch_stats = g.train()(z)
        task.refresh_statistics({"G": g.eval()})
        refreshed = g(z)
    assert not g.training and all(m.momentum == 0.1 for m in norms)
    assert (refreshed - batch_stats).abs().mean() < 0.1 * batch_stats.std()
    for m in norms:
        m.running_mean.fill_(0.5)
        m.running_var.fill_(3.0)
    with torch.no_grad():
        stale = g(z)
    assert (stale - batch_stats).abs().mean() > 3 * (refreshed - batch_stats).abs().mean()


def _faces(folder: Path, n: int = 24, side: int = 40, seed: int = 0) -> Path:
    """Bright discs ('faces') on dark ground at jittered positions."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    yy, xx = np.mgrid[0:side, 0:side]
    for i in range(n):
        cy, cx = rng.uniform(0.4, 0.6, 2) * side
        img = np.zeros((side, side, 3), np.uint8)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < (0.3 * side) ** 2] = (200, 160, 130)
        cv2.imwrite(str(folder / f"{i}.png"), img)
    return folder


def test_train_image_gan_then_generate_from_the_exported_ema_generator(tmp_path: Path) -> None:
    data = _faces(tmp_path / "faces")
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "image-gan", "--data", str(data), "--out", str(run), "--size", "32", "--ngf", "4",
                            "--epochs", "2", "--batch-size", "8", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    pipe = GeneratePipeline(run / "generator.safetensors")
    assert pipe.spec.task == "generate" and pipe.spec.image_size == 32 and pipe.spec.trained_steps == 6
    assert torch.equal(pipe.tensors(4, seed=3), pipe.tensors(4, seed=3))
    assert not torch.equal(pipe.tensors(4, seed=3), pipe.tensors(4, seed=4))
    from ganapps.core.checkpoint import load_state

    state = load_state(run / "checkpoint.safetensors")
    live, ema = state["nets"]["G"], state["ema"]["G"]
    weight = "project.parametrizations.weight.original"
    assert not torch.equal(live[weight], ema[weight])  # the EMA is what ships
    assert torch.equal(pipe.net.state_dict()[weight], ema[weight])
    # with its own batch-norm statistics: the checkpoint's EMA holds the live G's copies
    assert not torch.equal(pipe.net.state_dict()["net.0.running_mean"], ema["net.0.running_mean"])
    r = runner.invoke(app, ["generate", "--model", str(run / "generator.safetensors"), "-n", "4", "--out-dir", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "out").glob("*.png"))) == 4
    r = runner.invoke(app, ["train", "image-gan", "--data", str(data), "--out", str(tmp_path / "bad"), "--size", "48"])
    assert r.exit_code == 2 and "--size must be one of" in r.output


def test_image_gan_holds_out_photos_and_scores_each_epoch_on_them(tmp_path: Path, monkeypatch) -> None:
    from ganapps.eval import two_sample
    from ganapps.tasks.imagegan import ImageGANConfig, ImageGANInputs, build

    monkeypatch.setattr(two_sample, "STEPS", 20)  # the judge's figure is tested below; this is the wiring
    data = _faces(tmp_path / "faces", n=100, side=16)
    task, photos = build(ImageGANConfig(image_size=32, width=4), ImageGANInputs(data=data, val=10), seed=0, batch_size=8)
    assert len(photos) == 90 and task.val is not None and task.val.shape == (10, 3, 32, 32)
    again, _ = build(ImageGANConfig(image_size=32, width=4), ImageGANInputs(data=data, val=10), seed=1, batch_size=8)
    assert torch.equal(task.val, again.val)  # the split does not depend on the run's seed
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "image-gan", "--data", str(data), "--out", str(run), "--size", "32", "--ngf", "4",
                            "--val", "10", "--epochs", "2", "--batch-size", "30", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in (run / "val.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in rows] == [1, 2] and all(0.0 <= row["two_sample"] <= 1.0 for row in rows)
    assert all(row["two_sample_log_loss"] > 0 for row in rows)
    assert (run / "snapshots" / f"step_{rows[-1]['step']:06d}" / "generator.safetensors").is_file()


def test_two_sample_test_is_at_chance_for_one_distribution_and_sure_for_two() -> None:
    from ganapps.eval.two_sample import two_sample_accuracy

    g = torch.Generator().manual_seed(0)
    a, b = (torch.rand(80, 3, 16, 16, generator=g) * 2 - 1 for _ in range(2))
    assert 0.3 <= two_sample_accuracy(a, b, steps=150) <= 0.7
    assert two_sample_accuracy(a, 0.3 * b, steps=150) > 0.9  # low-contrast "fakes" are easy to spot
    from ganapps.eval.two_sample import two_sample_test

    same, easy = two_sample_test(a, b, steps=150), two_sample_test(a, 0.3 * b, steps=150)
    assert easy["log_loss"] < 0.5 * same["log_loss"] and 0.4 < same["log_loss"] < 1.5  # ln 2 ≈ 0.69: a coin


def test_eval_generate_reports_two_sample_and_memorisation_for_a_photo_model(tmp_path: Path, monkeypatch) -> None:
    from ganapps.eval import two_sample

    monkeypatch.setattr(two_sample, "STEPS", 20)  # the figures' values are tested above; this is the wiring
    data = tmp_path / "faces"
    _faces(data / "train")
    _faces(data / "test", n=16, seed=1)
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "image-gan", "--data", str(data), "--out", str(run), "--size", "32", "--ngf", "4",
                            "--iters", "2", "--batch-size", "8", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["eval", "generate", "--model", str(run / "generator.safetensors"), "--data", str(data)])
    assert r.exit_code == 0, r.output
    assert not re.search(r"\bnan\b", r.output, re.I), r.output  # every figure a number
    assert "two-sample test" in r.output and "ratio" in r.output


def test_latent_inpainting_keeps_known_pixels_and_finds_a_face_that_fits_them() -> None:
    from ganapps.pipelines.latent_inpaint import LatentSearch, latent_fill

    torch.manual_seed(0)
    g = ImageGANGenerator(ImageGANGeneratorConfig(nz=16, ngf=4, image_size=32)).eval()
    with torch.no_grad():
        truth = g(torch.randn(1, 16, generator=torch.Generator().manual_seed(99)))  # a face G can draw
    known = torch.ones(1, 1, 32, 32)
    known[..., 10:22, 10:22] = 0
    image = truth * known  # the hole blacked out
    filled, losses = latent_fill(g, image, known, search=LatentSearch(steps=150, restarts=3, lr=0.05))
    assert torch.equal(filled * known, image * known)  # known pixels kept exactly
    assert losses[-1] < 0.5 * losses[0]
    hole = known == 0
    with torch.no_grad():
        start = g(torch.randn(3, 16, generator=torch.Generator().manual_seed(0)))[:1]  # where the search began
    assert (filled - truth).abs()[hole.expand_as(truth)].mean() < 0.7 * (start - truth).abs()[hole.expand_as(truth)].mean()


def test_latent_walk_gif_starts_at_the_grid_loops_back_and_moves_smoothly(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    from ganapps.core.checkpoint import save_weights
    from ganapps.nets import spec_of

    torch.manual_seed(0)
    g = ImageGANGenerator(ImageGANGeneratorConfig(nz=16, ngf=4, image_size=32))
    for p in g.parameters():  # at the init's 0.02 an untrained G draws the same grey for every latent
        p.data.normal_(0, 0.5)
    model = tmp_path / "g.safetensors"
    save_weights(model, g, spec_of(g) | {"task": "generate", "image_size": 32})
    pipe = GeneratePipeline(model)
    frames = pipe.walk(4, seed=5, keyframes=3, steps=6)
    assert len(frames) == 18 and np.array_equal(frames[0], pipe.grid(4, seed=5))
    step = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(frames, frames[1:] + frames[:1])]
    assert max(step) < 0.5 * np.abs(frames[0].astype(int) - frames[6].astype(int)).mean()  # small steps between far keyframes
    r = runner.invoke(app, ["generate", "--model", str(model), "-n", "4", "-o", str(tmp_path / "walk.gif")])
    assert r.exit_code == 0 and "latent walk" in r.output, r.output
    with PILImage.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 48 and gif.size == frames[0].shape[1::-1]
    r = runner.invoke(app, ["generate", "--model", "dcgan-fashion", "-n", "4", "-o", str(tmp_path / "gray.gif")])
    assert r.exit_code == 0, r.output  # one-channel grids too
    r = runner.invoke(app, ["generate", "--model", str(model), "-o", str(tmp_path / "walk.mp4")])
    assert r.exit_code == 2 and ".gif" in r.output
