"""Inpainting (issue 5): masks, gated nets, the task through the trainer, pipeline/CLI, eval.

Synthetic smooth images and nets a few channels wide; a model's quality is not tested here, only
that known pixels survive bit for bit and every path runs and reports what it should.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganapps.api import load
from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.core.losses import get_loss
from ganapps.core.trainer import TrainConfig, Trainer
from ganapps.data.datasets import ImageFolder, fixed_batch
from ganapps.data.degrade import quantize8
from ganapps.data.io import Image
from ganapps.data.masks import hole_count_range, parse_ratio, parse_ratios, random_mask, wide_mask
from ganapps.data.masks import eval_masks
from ganapps.eval.inpaint import evaluate_inpainting
from ganapps.eval.opencv_inpaint import opencv_inpaint
from ganapps.eval.translate import image_metrics
from ganapps.nets import build, spec_of
from ganapps.nets.inpaint_net import (
    GatedConv2d,
    InpaintGenerator,
    InpaintGeneratorConfig,
    SNPatchGANConfig,
    SNPatchGANDiscriminator,
)
from ganapps.pipelines.faces import detect_faces, face_frame, face_scale
from ganapps.pipelines.inpaint import DEMO_RATIO, InpaintPipeline, native_region
from ganapps.tasks.inpaint import InpaintConfig, InpaintTask, hole_valid_l1

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("one_thread")


def _smooth(h: int, w: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A smooth random uint8 image: blurred noise, stretched to the full range."""
    a = cv2.GaussianBlur(np.random.default_rng(seed).random((h, w, channels)).astype(np.float32), (0, 0), 2)
    a = a.reshape(h, w, channels)
    return np.round((a - a.min()) / (a.max() - a.min()) * 255).astype(np.uint8)


def _write(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), pixels)
    return path


def _tiny_model(path: Path, image_size: int = 16) -> Path:
    torch.manual_seed(0)
    g = InpaintGenerator(InpaintGeneratorConfig(width=4))
    save_weights(path, g, spec_of(g) | {"task": "inpaint", "image_size": image_size})
    return path


def _box_mask(h: int, w: int, top: int, left: int, bh: int, bw: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[top : top + bh, left : left + bw] = 255
    return m


# ------------------------------------------------------------------------------------ masks
@pytest.mark.parametrize("size", [64, (40, 96)])
@pytest.mark.parametrize("ratio", [(0.1, 0.2), (0.3, 0.4), (0.45, 0.5)])
def test_masks_hit_the_requested_ratio_range(size, ratio: tuple[float, float]) -> None:
    shares = []
    for seed in range(25):
        m = random_mask(size, ratio, np.random.default_rng(seed))
        assert m.dtype == bool and m.shape == ((size, size) if isinstance(size, int) else size)
        shares.append(m.mean())
    assert ratio[0] <= min(shares) and max(shares) <= ratio[1]
    again = random_mask(size, ratio, np.random.default_rng(3))
    assert np.array_equal(again, random_mask(size, ratio, np.random.default_rng(3)))  # a seed fixes the mask
    assert not np.array_equal(again, random_mask(size, ratio, np.random.default_rng(4)))


def test_mask_ratio_parsing_and_impossible_ranges() -> None:
    assert parse_ratio("0.2-0.4") == (0.2, 0.4)
    assert parse_ratios("0.1-0.2, 0.2-0.3") == [(0.1, 0.2), (0.2, 0.3)]
    for bad in ("0.4-0.2", "20-40", "0.3", "a-b"):
        with pytest.raises(ValueError, match="mask ratio"):
            parse_ratio(bad)
    assert hole_count_range(10, 10, (0.1, 0.2)) == (10, 20)
    with pytest.raises(ValueError, match="no 2×2 mask"):
        hole_count_range(2, 2, (0.3, 0.45))  # 1.2 to 1.8 pixels: no whole number in between


# ------------------------------------------------------------------------------------- nets
@pytest.mark.parametrize("hw", [(9, 7), (37, 51), (1, 5)])
def test_gated_convs_and_generator_keep_odd_sizes(hw: tuple[int, int]) -> None:
    x = torch.randn(2, 4, *hw)
    assert GatedConv2d(4, 6, 5)(x).shape == (2, 6, *hw)
    assert GatedConv2d(4, 6, 3, dilation=8)(x).shape == (2, 6, *hw)
    assert GatedConv2d(4, 6, 3, stride=2)(x).shape == (2, 6, math.ceil(hw[0] / 2), math.ceil(hw[1] / 2))
    g = InpaintGenerator(InpaintGeneratorConfig(width=4))
    y = g(x)
    assert y.shape == (2, 3, *hw) and y.abs().max() <= 1


def test_nets_are_registered_and_the_discriminator_is_spectrally_normalised() -> None:
    g, d = InpaintGenerator(InpaintGeneratorConfig(width=4)), SNPatchGANDiscriminator(SNPatchGANConfig(ndf=4))
    for net in (g, d):
        spec = spec_of(net)
        assert type(build(spec["arch"], spec["config"])) is type(net)
    assert d(torch.zeros(2, 4, 64, 48)).shape == (2, 16, 1, 1)  # 6 stride-2 layers, 4·ndf channels
    d.train()
    for _ in range(20):  # power iterations converge; the normalised weight then has spectral norm 1
        d(torch.zeros(1, 4, 8, 8))
    w = d.model[2].weight.flatten(1)
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=0.05)


# ------------------------------------------------------------------------------------- task
def test_hole_weighted_l1_and_the_objective() -> None:
    target, output = torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :1, :] = 1  # a quarter of the image is hole
    hole, valid = hole_valid_l1(output, target, mask)
    assert (hole.item(), valid.item()) == (0.25, 0.75)  # each over all pixels (Liu et al. 2018)
    torch.manual_seed(0)
    images = torch.rand(2, 3, 16, 16) * 2 - 1
    task = InpaintTask(InpaintConfig(image_size=16, width=4, ndf=4, samples=2), images)
    batch = task.augment(images)
    out = task.generate(batch)
    assert batch["mask"].shape == (2, 1, 16, 16) and set(batch["mask"].unique().tolist()) <= {0.0, 1.0}
    known = batch["mask"] == 0
    assert torch.equal(out["completed"].masked_select(known), batch["image"].masked_select(known))
    loss, logs = task.g_loss(batch, out)
    c = task.config
    expected = c.hole_weight * logs["hole_l1_loss"] + c.valid_weight * logs["valid_l1_loss"] + c.adv_weight * logs["gan_loss"]
    assert (c.hole_weight, c.valid_weight) == (6.0, 1.0)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    d_loss, d_logs = task.d_loss(batch, {k: v.detach() for k, v in out.items()})
    D = task.discriminators["D"].eval()  # eval: no power iteration, the same normalised weights again
    real = D(torch.cat([batch["image"], batch["mask"]], 1))
    fake = D(torch.cat([out["completed"].detach(), batch["mask"]], 1))
    assert d_loss.item() == pytest.approx(get_loss("hinge").d(real, fake).item(), rel=1e-4)
    assert (d_logs["d_acc_real"], d_logs["d_acc_fake"]) == pytest.approx(get_loss("hinge").accuracy(real, fake))
    assert task.samples(task.generators).shape == (6, 3, 16, 16)  # masked | completed | real per image


def test_d_accuracy_counts_real_patches_called_real_and_fakes_called_fake() -> None:
    class MeanLogit(torch.nn.Module):  # patch scores are the image's own values: it tells what it is shown
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :3].mean(1, keepdim=True)

    task = InpaintTask(InpaintConfig(image_size=16, width=4, ndf=4, samples=2), torch.zeros(2, 3, 16, 16))
    task.discriminators = {"D": MeanLogit()}
    completed = torch.cat([torch.full((1, 3, 16, 16), -0.5), torch.full((1, 3, 16, 16), 0.5)])  # the second fools D
    batch = {"image": torch.full((2, 3, 16, 16), 0.5), "mask": torch.zeros(2, 1, 16, 16)}
    _, logs = task.d_loss(batch, {"completed": completed})
    assert (logs["d_acc_real"], logs["d_acc_fake"]) == (1.0, 0.5)


def _faces(folder: Path, n: int = 8) -> Path:
    for i in range(n):
        _write(folder / f"{i:03d}.png", _smooth(20, 24, seed=i))
    return folder


def _trainer(data: Path, out: Path, iters: int) -> Trainer:
    ds = ImageFolder(data, 16)
    torch.manual_seed(0)
    task = InpaintTask(InpaintConfig(image_size=16, width=4, ndf=4, samples=2), fixed_batch(ds, 2))
    cfg = TrainConfig(out=out, iters=iters, batch_size=4, device="cpu", precision="fp32", progress=False,
                      checkpoint_every=1000, lr_schedule="linear")  # fmt: skip
    return Trainer(task, ds, cfg)


def test_train_cli_exports_weights_the_pipeline_loads_and_resume_is_exact(tmp_path: Path) -> None:
    data = _faces(tmp_path / "faces" / "train")
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "inpaint", "--data", str(tmp_path / "faces"), "--out", str(run), "--size", "16",
                            "--width", "4", "--iters", "3", "--batch-size", "4", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    pipe = InpaintPipeline(run / "generator.safetensors")
    assert pipe.image_size == 16 and pipe.spec.task == "inpaint" and pipe.spec.trained_steps == 3
    assert (run / "samples" / "epoch_001.png").exists()
    r = runner.invoke(app, ["train", "inpaint", "--data", str(tmp_path / "faces"), "--out", str(tmp_path / "again"), "--size", "16",
                            "--width", "4", "--iters", "1", "--batch-size", "4", "--device", "cpu", "--precision", "fp32",
                            "--init", str(run / "generator.safetensors")])  # its config holds a tuple (dilations)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["train", "inpaint", "--data", str(data), "--out", str(tmp_path / "x"),
                            "--mask-ratio", "0.1-0.2,0.3-0.4"])  # fmt: skip
    assert r.exit_code == 2 and "one range" in r.output

    straight = _trainer(data, tmp_path / "straight", iters=4)
    straight.fit()
    _trainer(data, tmp_path / "paused", iters=4).fit(max_steps=2)
    resumed = _trainer(data, tmp_path / "paused", iters=4)
    resumed.fit(resume=True)  # masks and flips come from the checkpointed torch RNG
    a, b = straight.task.generators["G"].state_dict(), resumed.task.generators["G"].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_training_holds_out_faces_and_scores_them_against_telea_each_epoch(tmp_path: Path, function_net) -> None:
    data = _faces(tmp_path / "faces" / "train", n=30)
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "inpaint", "--data", str(tmp_path / "faces"), "--out", str(run), "--size", "16",
                            "--width", "4", "--epochs", "2", "--batch-size", "9", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    lines = (run / "val.jsonl").read_text().splitlines()
    assert len(lines) == 2  # one per epoch: 27 training faces, 3 held out (a tenth), 3 steps per epoch
    import json

    figures = json.loads(lines[-1])
    for family in ("freeform", "wide"):
        assert 0 < figures[f"{family}_psnr"] < 60 and 0 < figures[f"{family}_ssim"] <= 1
        assert math.isfinite(figures[f"{family}_gain_vs_telea"])
    assert sorted(p.name for p in (run / "snapshots").iterdir()) == ["step_000003", "step_000006"]

    from ganapps.data.datasets import holdout

    train, val = holdout(sorted(data.glob("*.png")), 100)
    assert len(val) == 3 and not set(train) & set(val)
    # the figure is the fill's: a generator that returns the masked grey scores what grey scores
    ds = ImageFolder(data, 16)
    task = InpaintTask(InpaintConfig(image_size=16, width=4, ndf=4, samples=2), fixed_batch(ds, 2), ds.stack(val))
    grey = task.validate({"G": function_net(lambda x: torch.zeros_like(x[:, :3]))})
    holes = eval_masks(3, 16, (0.1, 0.5), seed=0, family="wide")
    images = quantize8(ds.stack(val))
    expected = image_metrics(quantize8(images * (1 - holes)), images)["psnr"]
    assert grey["wide_psnr"] == pytest.approx(expected, abs=1e-4)


# --------------------------------------------------------------------------------- pipeline
def test_native_region_is_the_whole_image_until_it_is_large() -> None:
    face = np.zeros((109, 89), bool)
    face[40:70, 20:50] = True
    assert native_region(face) == (slice(0, 109), slice(0, 89), 1.0)  # a face photo: whole, own scale
    photo = np.zeros((300, 400), bool)
    photo[100:120, 380:395] = True  # 20×15 hole near the right edge
    rows, cols, k = native_region(photo, max_pixels=300 * 300)
    assert (rows, cols, k) == (slice(80, 140), slice(365, 400), 1.0)  # the hole and its own size around it
    rows, cols, k = native_region(photo, max_pixels=20 * 20)
    assert k == pytest.approx(math.sqrt(400 / (60 * 35)))  # still too large: shrunk to the budget


@pytest.mark.parametrize("shape", [(37, 53), (20, 300), (300, 200)])
def test_known_pixels_are_bit_identical_in_memory(tmp_path: Path, shape: tuple[int, int]) -> None:
    pipe = load(_tiny_model(tmp_path / "g.safetensors"))
    assert isinstance(pipe, InpaintPipeline)
    rgb = _smooth(*shape).astype(np.float32) / 255
    hole = random_mask(shape, (0.01, 0.05), np.random.default_rng(0))
    out = pipe(Image(rgb), hole)
    assert out.rgb.shape == rgb.shape
    assert np.array_equal(out.rgb[~hole], rgb[~hole])
    assert not np.array_equal(out.rgb[hole], rgb[hole])
    hidden = np.where(hole[:, :, None], np.float32(1), rgb)  # what the mask hides never reaches the net
    assert np.array_equal(pipe(Image(hidden), hole).rgb, out.rgb)
    assert np.array_equal(pipe(Image(rgb), np.zeros(shape, bool)).rgb, rgb)  # all-zero mask: a no-op
    with pytest.raises(ValueError, match="must have its image's size"):
        pipe(Image(rgb), hole[:-1])


def test_inpaint_cli_folders_keep_known_pixels_of_rgb_rgba_gray_and_16bit(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "g.safetensors")
    images = {
        "rgb": _smooth(37, 53, 3, seed=1),
        "rgba": np.concatenate([_smooth(30, 24, 3, seed=2), _smooth(30, 24, 1, seed=3)], axis=2),
        "gray": _smooth(25, 31, 1, seed=4)[:, :, 0],
        "deep": _smooth(33, 29, 3, seed=5).astype(np.uint16) * 257 + 7,
    }
    for stem, pixels in images.items():
        _write(tmp_path / "in" / f"{stem}.png", pixels)
        h, w = pixels.shape[:2]
        _write(tmp_path / "masks" / f"{stem}.png", _box_mask(h, w, h // 3, w // 4, h // 3, w // 2))
    _write(tmp_path / "in" / "orphan.png", _smooth(10, 10))  # no mask of that name
    r = runner.invoke(app, ["inpaint", str(tmp_path / "in"), "--mask", str(tmp_path / "masks"), "-o", str(tmp_path / "out"),
                            "--model", str(model), "--device", "cpu"])  # fmt: skip
    assert r.exit_code == 1 and "orphan.png: no mask named orphan.*" in r.output and "wrote 4 images, 1 failed" in r.output
    for stem, pixels in images.items():
        out = cv2.imread(str(tmp_path / "out" / f"{stem}.png"), cv2.IMREAD_UNCHANGED)
        assert out.dtype == pixels.dtype and out.shape == pixels.shape, stem
        known = cv2.imread(str(tmp_path / "masks" / f"{stem}.png"), cv2.IMREAD_GRAYSCALE) == 0
        assert np.array_equal(out[known], pixels[known]), stem
        assert not np.array_equal(out[~known], pixels[~known]), stem
        if stem == "rgba":
            assert np.array_equal(out[..., 3], pixels[..., 3])  # alpha passed through, hole included
    assert not (tmp_path / "out" / "orphan.png").exists()


def test_inpaint_cli_size_mismatch_all_zero_mask_and_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _tiny_model(tmp_path / "g.safetensors")
    face = _write(tmp_path / "face.png", _smooth(30, 40))
    small = _write(tmp_path / "small.png", np.full((30, 39), 255, np.uint8))
    r = runner.invoke(app, ["inpaint", str(face), "--mask", str(small), "-o", str(tmp_path / "out.png"),
                            "--model", str(model)])  # fmt: skip
    failed = [line for line in r.output.splitlines() if line.startswith("failed:")]
    assert r.exit_code == 1 and len(failed) == 1, r.output
    assert "mask" in failed[0] and "39×30 px but the image is 40×30 px" in failed[0]
    assert not (tmp_path / "out.png").exists()

    empty = _write(tmp_path / "empty.png", np.zeros((30, 40), np.uint8))
    r = runner.invoke(app, ["inpaint", str(face), "--mask", str(empty), "-o", str(tmp_path / "same.png"),
                            "--model", str(model)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert np.array_equal(cv2.imread(str(tmp_path / "same.png")), cv2.imread(str(face)))

    out = str(tmp_path / "o.png")
    for args in (["--model", str(model)], ["--mask", str(empty), "--random-mask", "--model", str(model)],
                 ["--mask", str(tmp_path / "nope.png"), "--model", str(model)]):  # fmt: skip
        r = runner.invoke(app, ["inpaint", str(face), "-o", out, *args])
        assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output
    monkeypatch.setenv("GANAPPS_WEIGHTS", str(tmp_path / "no-weights"))
    r = runner.invoke(app, ["inpaint", str(face), "--mask", str(empty), "-o", out])  # the default model, absent
    assert r.exit_code == 1 and "inpaint-faces" in r.output and len(r.output.strip().splitlines()) == 1


def test_random_mask_is_written_next_to_the_output_and_is_reproducible(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "g.safetensors")
    face = _write(tmp_path / "face.png", _smooth(48, 40))
    args = ["inpaint", str(face), "--random-mask", "--seed", "3", "--model", str(model)]
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "a" / "out.png")])
    assert r.exit_code == 0, r.output
    mask = cv2.imread(str(tmp_path / "a" / "out_mask.png"), cv2.IMREAD_UNCHANGED)
    assert mask.shape == (48, 40) and set(np.unique(mask)) == {0, 255}
    assert DEMO_RATIO[0] <= (mask > 0).mean() <= DEMO_RATIO[1]
    out = cv2.imread(str(tmp_path / "a" / "out.png"))
    assert np.array_equal(out[mask == 0], cv2.imread(str(face))[mask == 0])
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "a" / "out.png")])
    assert r.exit_code == 1 and "exists" in r.output  # never overwritten without --overwrite
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "b" / "out.png")])
    assert r.exit_code == 0 and np.array_equal(cv2.imread(str(tmp_path / "b" / "out_mask.png"), cv2.IMREAD_UNCHANGED), mask)


# ------------------------------------------------------------------------------------- eval
def test_eval_metrics_on_known_pairs() -> None:
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    same = image_metrics(x, x)
    assert same["psnr"] == math.inf and same["ssim"] == pytest.approx(1.0) and same["l1"] == 0
    y = torch.zeros(2, 3, 16, 16)
    off = image_metrics(y + 0.2, y)  # 0.1 on the [0, 1] scale everywhere: MSE 0.01
    assert off["psnr"] == pytest.approx(20.0, abs=1e-4) and off["l1"] == pytest.approx(0.1, abs=1e-6)
    masks = eval_masks(2, 16, (0.2, 0.3), seed=0)
    flat = torch.full((2, 3, 16, 16), 0.2)
    flat = torch.round((flat + 1) * 127.5) / 127.5 - 1  # an 8-bit grey
    assert image_metrics(opencv_inpaint(flat, masks, "ns"), flat)["psnr"] == math.inf  # flat stays flat
    assert image_metrics(opencv_inpaint(flat, masks, "telea"), flat)["psnr"] > 45  # Telea: within a level or two
    assert torch.equal(eval_masks(2, 16, (0.2, 0.3), seed=0), masks)  # a bucket's masks depend on its range
    assert not torch.equal(eval_masks(2, 16, (0.2, 0.3), seed=1), masks)


def test_eval_inpaint_compares_with_opencv_per_bucket(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "g.safetensors")
    data = _faces(tmp_path / "faces" / "test", n=3)
    report = evaluate_inpainting(model, tmp_path / "faces", [(0.1, 0.2), (0.3, 0.4)], seed=0)
    assert report["n"] == 3 and report["image_size"] == 16
    assert [b["ratio"] for b in report["buckets"]] == ["0.1-0.2", "0.3-0.4"]
    for b in report["buckets"]:
        assert set(b) == {"ratio", "hole", "ours", "telea", "ns"}
        assert 0 < b["telea"]["l1"] < 1 and 0 < b["ours"]["ssim"] < 1
    assert report["buckets"][0]["hole"] < report["buckets"][1]["hole"]
    r = runner.invoke(app, ["eval", "inpaint", "--data", str(data), "--mask-ratio", "0.2-0.3", "--model", str(model),
                            "--device", "cpu"])  # fmt: skip
    assert r.exit_code == 0 and "Telea" in r.output and "0.2-0.3" in r.output, r.output
    assert not re.search(r"\bnan\b", r.output, re.I), r.output  # every figure a number
    assert r.output.count("freeform masks") == 2 and r.output.count("wide masks") == 2  # both framings, both families
    r = runner.invoke(app, ["eval", "inpaint", "--data", str(data), "--mask-ratio", "20-30", "--model", str(model)])
    assert r.exit_code == 2
    wide = evaluate_inpainting(model, tmp_path / "faces", [(0.3, 0.4)], seed=0, masks="wide")
    assert wide["masks"] == "wide" and wide["buckets"][0]["hole"] != report["buckets"][1]["hole"]  # other holes



def test_inpaint_training_sees_the_whole_frame_of_a_portrait(tmp_path: Path) -> None:
    """Training squares come from anywhere along a portrait's longer side (its top and bottom rows
    included, which centre squares never show), reproducibly under the trainer's seed; the
    validation faces stay centre squares so epochs compare."""
    from ganapps.tasks.inpaint import InpaintInputs, build

    rows = np.repeat(np.linspace(0, 255, 40).round().astype(np.uint8)[:, None, None], 3, axis=2)  # brightness = row
    for i in range(20):
        _write(tmp_path / "train" / f"{i:02d}.png", np.repeat(rows, 20, axis=1))
    _, training = build(InpaintConfig(image_size=16, width=4, ndf=4, samples=2), InpaintInputs(data=tmp_path, val=2), 0, 4)
    torch.manual_seed(0)
    tops = [training[0][0, 0, 0].item() for _ in range(200)]  # the top row's brightness gives the offset
    torch.manual_seed(0)
    assert tops == [training[0][0, 0, 0].item() for _ in range(200)]
    assert min(tops) < -0.9 and max(tops) > -0.05  # from the very top to the last square (its top at mid-height)
    assert len(set(tops)) > 10
    centre = ImageFolder(tmp_path / "train", 16)[0][0, 0, 0].item()
    assert centre == pytest.approx(np.median(tops), abs=0.15) and ImageFolder(tmp_path / "train", 16)[0].shape == (3, 16, 16)

def test_eval_inpaint_val_split_is_the_faces_training_held_out(tmp_path: Path) -> None:
    """``--split val`` scores exactly the training faces ``train inpaint`` held out (never the test
    faces, never a face it trained on), so the step to ship can be chosen without the test set."""
    from ganapps.eval.inpaint import held_out_folder
    from ganapps.tasks.inpaint import InpaintInputs, build

    faces = tmp_path / "faces"
    _faces(faces / "train", n=20), _faces(faces / "test", n=3)
    task, training = build(InpaintConfig(image_size=16, width=4, ndf=4, samples=2), InpaintInputs(data=faces, val=2), 0, 4)
    val = held_out_folder(faces, 16, "val")
    assert len(val.files) == 2 and torch.equal(val.stack(val.files), task.val)
    assert not set(val.files) & set(training.files) and all(f.parent.name == "train" for f in val.files)
    model = _tiny_model(tmp_path / "g.safetensors")
    r = runner.invoke(app, ["eval", "inpaint", "--data", str(faces), "--split", "val", "--framing", "crop", "--masks", "wide",
                            "--mask-ratio", "0.2-0.3", "--model", str(model)])  # fmt: skip
    assert r.exit_code == 0 and "2 held-out training faces" in r.output, r.output
    r = runner.invoke(app, ["eval", "inpaint", "--data", str(faces), "--split", "train", "--model", str(model)])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1

# ------------------------------------------------------------------- issue 14: native scale, faces, wide masks
def test_wide_masks_hit_the_range_vary_and_touch_the_border() -> None:
    masks = [wide_mask((109, 89), (0.05, 0.6), np.random.default_rng(s)) for s in range(60)]
    shares = [m.mean() for m in masks]
    assert 0.05 <= min(shares) and max(shares) <= 0.6 and max(shares) - min(shares) > 0.3
    on_border = [m[0].any() or m[-1].any() or m[:, 0].any() or m[:, -1].any() for m in masks]
    assert 0.3 < np.mean(on_border) < 1
    assert np.array_equal(wide_mask(40, (0.1, 0.2), np.random.default_rng(5)), wide_mask(40, (0.1, 0.2), np.random.default_rng(5)))
    assert InpaintConfig().masks == "wide" and InpaintConfig().mask_ratio == (0.05, 0.6)


def test_mixed_masks_draw_each_family_about_half_the_time() -> None:
    from ganapps.data.masks import mixed_mask

    def family(seed: int) -> str:
        mask = mixed_mask(48, (0.1, 0.3), np.random.default_rng(seed))
        rng = np.random.default_rng(seed)
        rng.random()  # the coin mixed_mask tossed
        state = rng.bit_generator.state
        if np.array_equal(mask, random_mask(48, (0.1, 0.3), rng)):
            return "freeform"
        rng.bit_generator.state = state
        return "wide" if np.array_equal(mask, wide_mask(48, (0.1, 0.3), rng)) else "neither"

    drawn = [family(s) for s in range(40)]
    assert "neither" not in drawn and 10 <= drawn.count("freeform") <= 30


@pytest.mark.parametrize("shape", [(109, 89), (1, 1), (30, 2000), (1, 7)])
def test_native_path_keeps_the_size_and_the_known_pixels(tmp_path: Path, shape: tuple[int, int]) -> None:
    pipe = InpaintPipeline(_tiny_model(tmp_path / "g.safetensors"), face="off")
    seen: list[tuple[int, ...]] = []
    fill = pipe.fill
    pipe.fill = lambda image, mask: seen.append(tuple(image.shape[-2:])) or fill(image, mask)  # type: ignore[method-assign]
    rgb = _smooth(*shape).astype(np.float32) / 255 if min(shape) > 1 else np.full((*shape, 3), 0.25, np.float32)
    hole = np.zeros(shape, bool)
    if hole.size > 1:
        hole[shape[0] // 2, : max(1, shape[1] // 3)] = True
    out = pipe(Image(rgb), hole)
    assert out.rgb.shape == rgb.shape and np.array_equal(out.rgb[~hole], rgb[~hole])
    if hole.any():  # one pass at the image's own scale, padded to the stride
        assert seen == [(-(-shape[0] // 4) * 4, -(-shape[1] // 4) * 4)]


def test_face_frame_puts_a_box_where_the_training_faces_have_it() -> None:
    box = (43 - 22.0, 68 - 22.0, 43 + 22.0, 68 + 22.0)  # the training faces' median box
    assert face_frame(box) == pytest.approx((0, 0, 89, 109))
    x0, y0, x1, y1 = face_frame((100.0, 200.0, 188.0, 288.0))  # twice as large, elsewhere
    assert (x1 - x0, y1 - y0) == pytest.approx((178, 218)) and (x0 + 86, y0 + 136) == pytest.approx((144, 244))
    assert face_scale(box, 96) == 1.0  # 8% off its training size: filled at its own pixels
    assert face_scale((0.0, 0.0, 132.0, 132.0), 96) == pytest.approx(44 * 96 / 89 / 132)  # 3× too large


def test_face_path_frames_the_face_fills_only_the_hole_and_notes_the_rest(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "g.safetensors", image_size=32)
    rgb = _smooth(300, 400).astype(np.float32) / 255
    box = (200.0, 100.0, 244.0, 144.0)  # a 44 px face: its frame is 89×109 px at (179, 54)
    pipe = InpaintPipeline(model, face="auto", detector=lambda image: [box])
    seen: list[tuple[int, ...]] = []
    fill = pipe.fill
    pipe.fill = lambda image, mask: seen.append(tuple(image.shape[-2:])) or fill(image, mask)  # type: ignore[method-assign]
    hole = np.zeros((300, 400), bool)
    hole[110:130, 205:240] = True  # on the face
    notes: list[str] = []
    out = pipe(Image(rgb), hole, notes.append)
    assert seen == [(40, 32)] and notes == []  # 32 px across, 39 px high, padded to the stride of 4
    assert np.array_equal(out.rgb[~hole], rgb[~hole]) and not np.array_equal(out.rgb[hole], rgb[hole])

    hole[250:260, 20:40] = True  # and one far from the face
    seen.clear()
    out = pipe(Image(rgb), hole, notes.append)
    assert seen == [(40, 32), (300, 400)] and notes == ["200 hole pixels away from the faces: filled at the image's own scale"]
    assert np.array_equal(out.rgb[~hole], rgb[~hole])

    at_scale = InpaintPipeline(model, face="auto", detector=lambda image: [(200.0, 100.0, 216.0, 116.0)])  # the model's 16 px
    seen.clear()
    at_scale.fill = lambda image, mask: seen.append(tuple(image.shape[-2:])) or fill(image, mask)  # type: ignore[method-assign]
    notes.clear()
    on_face = np.zeros_like(hole)
    on_face[100:120, 200:220] = True  # inside its 32×40 px frame at (192, 83)
    out = at_scale(Image(rgb), on_face, notes.append)  # left to the whole-image pass, which sees all the context
    assert seen == [(300, 400)] and notes == [] and np.array_equal(out.rgb[~on_face], rgb[~on_face])

    no_face = InpaintPipeline(model, face="auto", detector=lambda image: [])
    off = InpaintPipeline(model, face="off", detector=lambda image: pytest.fail("--face off must not detect"))
    notes.clear()
    assert np.array_equal(no_face(Image(rgb), hole, notes.append).rgb, off(Image(rgb), hole, notes.append).rgb)
    assert notes == ["no face found near the hole: filled at the image's own scale"]
    with pytest.raises(ValueError, match="face mode"):
        InpaintPipeline(model, face="yes")


def test_the_face_detector_loads_and_finds_no_face_in_noise() -> None:
    assert detect_faces(_smooth(120, 90).astype(np.float32) / 255) == []
    assert detect_faces(np.zeros((2000, 30, 3), np.float32)) == []  # shrunk for detection, any shape


def test_inpaint_cli_face_option_and_eval_framings(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "g.safetensors")
    face = _write(tmp_path / "face.png", _smooth(30, 40))
    hole = _write(tmp_path / "hole.png", _box_mask(30, 40, 10, 10, 8, 8))
    r = runner.invoke(app, ["inpaint", str(face), "--mask", str(hole), "-o", str(tmp_path / "a.png"), "--model", str(model)])
    assert r.exit_code == 0 and "no face found near the hole" in r.stdout and not r.stderr, r.output
    r = runner.invoke(app, ["inpaint", str(face), "--mask", str(hole), "-o", str(tmp_path / "b.png"), "--model", str(model),
                            "--face", "off"])  # fmt: skip
    assert r.exit_code == 0 and "note" not in r.output, r.output
    r = runner.invoke(app, ["inpaint", str(face), "--mask", str(hole), "-o", str(tmp_path / "c.png"), "--face", "maybe"])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and not (tmp_path / "c.png").exists()

    data = _faces(tmp_path / "faces" / "test", n=2)
    report = evaluate_inpainting(model, tmp_path / "faces", [(0.1, 0.2)], framing="native", face="off")
    assert report["n"] == 2 and report["framing"] == "native"
    assert set(report["buckets"][0]) == {"ratio", "hole", "ours", "telea", "ns"}
    r = runner.invoke(app, ["eval", "inpaint", "--data", str(data), "--mask-ratio", "0.2-0.3", "--model", str(model),
                            "--face", "off"])  # fmt: skip
    assert r.exit_code == 0 and "at their own size" in r.output and "centre squares at 16 px" in r.output, r.output
    r = runner.invoke(app, ["eval", "inpaint", "--data", str(data), "--framing", "square", "--model", str(model)])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1


def test_masks_as_paint_programs_export_them(tmp_path: Path) -> None:
    """A hole painted on a transparent layer (black strokes, only in alpha), a white-on-black mask
    with soft edges and JPEG noise, and an empty mask, read as a person means them."""
    from ganapps.pipelines.inpaint import read_mask

    layer = np.zeros((20, 30, 4), np.uint8)
    layer[5:10, 5:20, 3] = 255  # opaque strokes; the colour stays black everywhere
    layer[12, 5:20, 3] = 100  # a soft edge under 50%
    cv2.imwrite(str(tmp_path / "layer.png"), layer)
    hole = read_mask(tmp_path / "layer.png")
    assert hole.sum() == 5 * 15 and hole[5:10, 5:20].all()

    plain = np.zeros((20, 30), np.uint8)
    plain[2:6, 2:6] = 255
    plain[10, 10] = 20  # JPEG-like noise, far under 50%
    cv2.imwrite(str(tmp_path / "plain.png"), plain)
    assert read_mask(tmp_path / "plain.png").sum() == 16


def test_an_empty_mask_is_a_warning_not_a_silent_success(tmp_path: Path) -> None:
    model = tmp_path / "m.safetensors"
    torch.manual_seed(0)
    net = InpaintGenerator(InpaintGeneratorConfig(width=4))
    save_weights(model, net, spec_of(net) | {"task": "inpaint", "image_size": 16})
    cv2.imwrite(str(tmp_path / "face.png"), np.full((16, 16, 3), 128, np.uint8))
    cv2.imwrite(str(tmp_path / "mask.png"), np.zeros((16, 16), np.uint8))
    r = runner.invoke(app, ["inpaint", str(tmp_path / "face.png"), "--mask", str(tmp_path / "mask.png"),
                            "-o", str(tmp_path / "out.png"), "--model", str(model), "--face", "off"])  # fmt: skip
    assert r.exit_code == 0 and "warning: 1 output: the mask marks no pixel" in r.output, r.output
