"""Image-to-image translation: nets, datasets, sketches, CycleGAN/pix2pix heads, pipeline, CLI.

Everything runs on tiny synthetic images the tests draw themselves, with nets a few channels wide.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.core.losses import get_loss
from ganapps.core.trainer import TrainConfig, Trainer
from ganapps.data.datasets import (
    AlignedDataset,
    SketchPairs,
    SkippedImagesWarning,
    UnalignedDataset,
    fit_square,
    fixed_batch,
    load_size_for,
)
from ganapps.data.sketch import normalise_drawing, photo_to_sketch, stroke_width
from ganapps.eval.translate import image_metrics
from ganapps.nets import spec_of
from ganapps.nets.blocks import pad_to_stride
from ganapps.nets.patchgan import PatchGANConfig, PatchGANDiscriminator, receptive_field
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig, default_blocks
from ganapps.nets.unet import UNetGenerator, UNetGeneratorConfig, default_downs
from ganapps.pipelines.translate import TranslatePipeline, processing_size
from ganapps.tasks.cyclegan import CycleGANConfig, CycleGANTask, ImagePool, cycle_loss, identity_loss
from ganapps.tasks.pix2pix import Pix2PixConfig, Pix2PixTask, l1_loss

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("one_thread")


# ------------------------------------------------------------------------------- test data
def _png(path: Path, pixels: np.ndarray) -> Path:
    """Write RGB(A)/gray uint8 or uint16 pixels (RGB order) as PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR if pixels.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    assert cv2.imwrite(str(path), pixels)
    return path


def _domain_image(rng: np.random.Generator, domain: str, h: int, w: int) -> np.ndarray:
    """Domain A: reddish disc on green; domain B: black/white stripes (a cartoon horse/zebra)."""
    yy, xx = np.mgrid[0:h, 0:w]
    if domain == "A":
        img = np.zeros((h, w, 3)) + [40, 150, 60]
        cy, cx, r = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w, 0.3 * min(h, w)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r**2] = [170, 90, 40]
    else:
        period = rng.uniform(3, 5)
        img = np.repeat((((xx + yy * rng.uniform(0, 1)) // period) % 2 * 255)[:, :, None], 3, axis=2)
    return np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)


def make_unaligned(root: Path, n: int = 4, size: int = 20, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for split in ("train", "test"):
        for d in "AB":
            for i in range(n):
                _png(root / f"{split}{d}" / f"{d}{i}.png", _domain_image(rng, d, size, size))
    return root


def make_aligned(root: Path, n: int = 4, size: int = 32, seed: int = 0) -> Path:
    """Left: a photo-like image; right: its 'label map' (the disc as flat colour)."""
    rng = np.random.default_rng(seed)
    for split in ("train", "test"):
        for i in range(n):
            photo = _domain_image(rng, "A", size, size)
            labels = np.where(photo[:, :, :1] > 120, [255, 0, 0], [0, 0, 255]).astype(np.uint8)
            _png(root / split / f"{i}.png", np.concatenate([photo, labels], axis=1))
    return root


def resnet_weights(path: Path, image_size: int = 16, input_kind: str = "photo", **meta_extra: Any) -> Path:
    torch.manual_seed(0)
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1))
    meta = {"task": "translate", "model": "cyclegan", "image_size": image_size, "input": input_kind, **meta_extra}
    save_weights(path, g, spec_of(g) | meta)
    return path


def unet_weights(path: Path, image_size: int = 32, input_kind: str = "labels", direction: str = "BtoA") -> Path:
    torch.manual_seed(0)
    g = UNetGenerator(UNetGeneratorConfig(ngf=4, num_downs=5))
    meta = {"task": "translate", "model": "pix2pix", "image_size": image_size, "input": input_kind, "direction": direction}
    save_weights(path, g, spec_of(g) | meta)
    return path


# ------------------------------------------------------------------------------------ nets
@pytest.mark.parametrize("hw", [(37, 53), (1, 9), (64, 30), (5, 200)])
def test_generators_keep_any_size_after_padding_to_their_stride(hw: tuple[int, int]) -> None:
    nets = [ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1)), UNetGenerator(UNetGeneratorConfig(ngf=2, num_downs=5))]
    assert [(n.stride, n.min_side) for n in nets] == [(4, 8), (32, 32)]
    x = torch.rand(2, 3, *hw) * 2 - 1
    for net in nets:
        padded, (h, w) = pad_to_stride(x, net.stride, net.min_side)
        assert padded.shape[-2] % net.stride == 0 and padded.shape[-1] % net.stride == 0
        assert torch.equal(padded[..., :h, :w], x)  # padding only adds pixels bottom/right
        with torch.no_grad():
            y = net.eval()(padded)[..., :h, :w]
        assert y.shape == x.shape and y.abs().max() <= 1


def test_default_depths_follow_the_papers() -> None:
    assert (default_blocks(256), default_blocks(128)) == (9, 6)
    assert (default_downs(256), default_downs(128), default_downs(96), default_downs(1024)) == (8, 7, 5, 8)
    with pytest.raises(ValueError, match="divisible by 32"):
        default_downs(80)


def test_patchgan_sees_70px_patches_and_takes_conditional_input() -> None:
    assert receptive_field(3) == 70
    d = PatchGANDiscriminator(PatchGANConfig(in_channels=6, ndf=4, norm="instance_affine"))
    assert d(torch.zeros(2, 6, 64, 64)).shape == (2, 1, 6, 6)
    # The gradient of one interior score reaches exactly a 70×70 input window (instance norm,
    # whose statistics span the whole image, is taken out for this).
    d = PatchGANDiscriminator(PatchGANConfig(in_channels=3, ndf=4)).double()
    d.model = torch.nn.Sequential(*(torch.nn.Identity() if isinstance(m, torch.nn.InstanceNorm2d) else m for m in d.model))
    x = torch.randn(1, 3, 160, 160, dtype=torch.double, requires_grad=True)
    d(x)[0, 0, 8, 8].backward()
    rows = x.grad.abs().sum(dim=(0, 1, 3)).nonzero()
    assert int(rows.max() - rows.min()) + 1 == 70


def test_net_layer_names_follow_the_reference_implementation() -> None:
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=9))
    keys = set(g.state_dict())
    assert {"model.1.weight", "model.10.conv_block.1.weight", "model.10.conv_block.5.weight", "model.26.weight"} <= keys
    u = UNetGenerator(UNetGeneratorConfig(ngf=2, num_downs=8))
    assert "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.1.weight" in u.state_dict()
    d = PatchGANDiscriminator(PatchGANConfig(ndf=4, norm="instance_affine"))
    assert {"model.0.weight", "model.2.weight", "model.3.weight", "model.11.weight"} <= set(d.state_dict())


# --------------------------------------------------------------------------- image pool
def test_image_pool_passes_through_when_empty_sized() -> None:
    x = torch.randn(3, 3, 4, 4)
    assert torch.equal(ImagePool(0).query(x), x)


def test_image_pool_fills_then_swaps_half_the_time() -> None:
    pool = ImagePool(4)
    first = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 3, 2, 2)
    assert torch.equal(pool.query(first), first)  # filling: the new images come back
    assert len(pool.images) == 4
    torch.manual_seed(0)
    new = (100 + torch.arange(200.0)).view(200, 1, 1, 1).expand(200, 3, 2, 2)
    out = pool.query(new)[:, 0, 0, 0]
    assert len(pool.images) == 4  # never grows past its size
    swapped = out != new[:, 0, 0, 0]
    assert 0.35 < swapped.float().mean() < 0.65  # p = 1/2 of returning a stored image instead
    earlier = torch.cat([torch.arange(4.0), new[:, 0, 0, 0]])
    for i in swapped.nonzero().flatten().tolist():  # a stored image is an earlier one
        assert out[i] in earlier[: 4 + i]
    assert len(set(out[swapped].tolist())) == int(swapped.sum())  # each returned at most once


def test_image_pool_state_round_trip_gives_identical_draws() -> None:
    a, b = ImagePool(5), ImagePool(5)
    a.query(torch.randn(7, 3, 2, 2))
    b.load_state_dict(a.state_dict())
    x = torch.randn(6, 3, 2, 2)
    torch.manual_seed(3)
    out_a = a.query(x)
    torch.manual_seed(3)
    assert torch.equal(b.query(x), out_a)


# --------------------------------------------------------------------------- loss terms
def test_loss_terms_on_hand_made_tensors() -> None:
    ones, zeros = torch.ones(2, 1, 3, 3), torch.zeros(2, 1, 3, 3)
    lsgan, vanilla = get_loss("lsgan"), get_loss("vanilla")
    assert lsgan.d(ones, zeros).item() == 0 and lsgan.d(zeros, ones).item() == 1
    assert lsgan.g(ones).item() == 0 and lsgan.g(zeros).item() == 1
    assert vanilla.d(zeros, zeros).item() == pytest.approx(2 * math.log(2))
    assert vanilla.g(zeros).item() == pytest.approx(math.log(2))
    img = torch.zeros(1, 3, 4, 4)
    assert cycle_loss(img, img + 0.5).item() == pytest.approx(0.5)
    assert identity_loss(img, img - 0.25).item() == pytest.approx(0.25)
    assert l1_loss(img, img + 2).item() == pytest.approx(2)


def _fake_batch(size: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {"A": torch.rand(2, 3, size + 2, size + 2) * 2 - 1, "B": torch.rand(2, 3, size + 2, size + 2) * 2 - 1}


def test_cyclegan_objective_weights_gan_cycle_and_identity_terms() -> None:
    loaded = _fake_batch(32)
    attention = CycleGANTask(CycleGANConfig(image_size=32, ngf=4, ndf=4, n_blocks=1), loaded)
    batch = attention.augment(loaded)
    assert batch["A"].shape == (2, 3, 32, 32)  # a random 32-px crop of each 34-px image
    loss, logs = attention.g_loss(batch, attention.generate(batch))
    assert "identity_loss" not in logs  # off with attention (it closes the mask)
    assert loss.item() == pytest.approx(logs["gan_loss"] + 10 * logs["cycle_loss"], rel=1e-5)  # no mask cost in warm-up
    attention.steps = 10_000
    loss, logs = attention.g_loss(batch, attention.generate(batch))
    assert loss.item() == pytest.approx(logs["gan_loss"] + 10 * logs["cycle_loss"] + 0.5 * 2 * logs["mask_mean"], rel=1e-5)
    task = CycleGANTask(CycleGANConfig(image_size=32, ngf=4, ndf=4, n_blocks=1, attention=False), loaded)
    out = task.generate(batch)
    assert out["fake_B"].shape == (2, 3, 32, 32)
    loss, logs = task.g_loss(batch, out)
    assert loss.item() == pytest.approx(logs["gan_loss"] + 10 * logs["cycle_loss"] + 5 * logs["identity_loss"], rel=1e-5)
    d_loss, d_logs = task.d_loss(batch, {k: v.detach() if torch.is_tensor(v) else v for k, v in out.items()})
    assert d_loss.item() == pytest.approx(d_logs["d_A_loss"] + d_logs["d_B_loss"], rel=1e-5)
    assert len(task.pool_a.images) == 2  # D saw the fakes through the pool (returned as they came, not yet full)
    shown = {"real_A": batch["A"], "real_B": batch["B"], "fake_A": out["fake_A"], "fake_B": out["fake_B"]}
    logits = {k: task.discriminators["D_" + k[-1]](x).float() for k, x in shown.items()}
    acc = task.loss.accuracy(torch.cat([logits["real_A"], logits["real_B"]]), torch.cat([logits["fake_A"], logits["fake_B"]]))
    assert (d_logs["d_acc_real"], d_logs["d_acc_fake"]) == pytest.approx(acc)  # both domains' patches, pooled
    assert task.samples(task.generators).shape == (12, 3, 32, 32)  # 2 rows × 6 images


class MeanLogit(torch.nn.Module):
    """A stand-in discriminator whose patch scores are the image's own values: it tells what it is shown."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :3].mean(1, keepdim=True)


def test_cyclegan_d_accuracy_counts_real_patches_called_real_and_fakes_called_fake() -> None:
    batch = _fake_batch(32)
    task = CycleGANTask(CycleGANConfig(image_size=32, ngf=4, ndf=4, n_blocks=1), batch)
    task.discriminators = {"D_A": MeanLogit(), "D_B": MeanLogit()}
    const = lambda v: torch.full((2, 3, 32, 32), v)  # noqa: E731
    _, logs = task.d_loss({"A": const(1.0), "B": const(1.0)}, {"fake_A": const(-1.0), "fake_B": const(1.0)})  # D_B is fooled
    assert (logs["d_acc_real"], logs["d_acc_fake"]) == (1.0, 0.5)


def test_pix2pix_objective_is_gan_plus_100_l1_and_half_d() -> None:
    batch = _fake_batch(32)
    task = Pix2PixTask(Pix2PixConfig(image_size=32, ngf=2, ndf=4), batch)
    batch = task.augment(batch)
    fake_b = task.generate(batch)
    loss, logs = task.g_loss(batch, fake_b)
    assert loss.item() == pytest.approx(logs["gan_loss"] + 100 * logs["l1_loss"], rel=1e-5)
    D = task.discriminators["D"]
    real = D(torch.cat([batch["A"], batch["B"]], 1))
    fake = D(torch.cat([batch["A"], fake_b.detach()], 1))
    d_loss, _ = task.d_loss(batch, fake_b.detach())
    assert d_loss.item() == pytest.approx(0.5 * get_loss("vanilla").d(real, fake).item(), rel=1e-5)
    assert task.weights_metadata("generator")["direction"] == "AtoB"


def test_pix2pix_ssim_weight_adds_one_minus_ssim_measured_as_the_evaluation_does() -> None:
    task = Pix2PixTask(Pix2PixConfig(image_size=32, ngf=2, ndf=4, lambda_ssim=300.0), _fake_batch(32))
    batch = task.augment(_fake_batch(32))
    fake_b = task.generate(batch)
    loss, logs = task.g_loss(batch, fake_b)
    ssim = image_metrics(fake_b.detach(), batch["B"])["ssim"]
    assert logs["ssim_loss"] == pytest.approx(1 - ssim, rel=1e-4)
    assert loss.item() == pytest.approx(logs["gan_loss"] + 100 * logs["l1_loss"] + 300 * logs["ssim_loss"], rel=1e-5)
    assert "ssim_loss" not in Pix2PixTask(Pix2PixConfig(image_size=32, ngf=2, ndf=4), _fake_batch(32)).g_loss(batch, fake_b)[1]


def test_pix2pix_crops_input_and_target_identically() -> None:
    x = torch.rand(3, 3, 40, 40)
    task = Pix2PixTask(Pix2PixConfig(image_size=32, ngf=2, ndf=4), {"A": x, "B": x})
    out = task.augment({"A": x, "B": x.clone()})
    assert out["A"].shape == (3, 3, 32, 32) and torch.equal(out["A"], out["B"])


# ------------------------------------------------------------------------------ datasets
def test_unaligned_dataset_is_deterministic_and_skips_bad_files_with_one_warning(tmp_path: Path) -> None:
    root = make_unaligned(tmp_path / "h2z", n=3)
    (root / "trainA" / "broken.png").write_bytes(b"not a png")
    (root / "trainB" / "empty.jpg").write_bytes(b"")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = UnalignedDataset(root, "train", load_size=18, seed=1)
    skipped = [w for w in caught if issubclass(w.category, SkippedImagesWarning)]
    assert len(skipped) == 1 and "broken.png" in str(skipped[0].message) and "empty.jpg" in str(skipped[0].message)
    assert len(ds) == 3
    item = ds[2]
    assert item["A"].shape == item["B"].shape == (3, 18, 18)
    assert item["A"].min() >= -1 and item["A"].max() <= 1
    with pytest.warns(SkippedImagesWarning):
        again = UnalignedDataset(root, "train", load_size=18, seed=1)
    assert torch.equal(again[2]["B"], item["B"])  # B index is a function of (seed, index)


def test_aligned_dataset_splits_halves_by_direction(tmp_path: Path) -> None:
    root = make_aligned(tmp_path / "facades", n=2, size=16)
    ab = AlignedDataset(root, "train", load_size=16, direction="AtoB")[0]
    ba = AlignedDataset(root, "train", load_size=16, direction="BtoA")[0]
    assert torch.equal(ab["A"], ba["B"]) and torch.equal(ab["B"], ba["A"])
    assert ab["B"][1].max() < -0.9  # the label half has no green: it was the right half
    with pytest.raises(ValueError, match="AtoB or BtoA"):
        AlignedDataset(root, "train", 16, direction="sideways")
    assert load_size_for(256) == 286 and load_size_for(128) == 143


def test_sketch_pairs_and_fixed_batch(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(3):
        _png(tmp_path / "photos" / f"{i}.png", _domain_image(rng, "A", 30, 40))
    ds = SketchPairs(tmp_path / "photos", 24)
    item = ds[0]
    assert item["A"].shape == item["B"].shape == (3, 24, 24)
    assert torch.equal(item["A"][0], item["A"][2])  # a drawing: equal channels
    assert torch.equal(ds[0]["A"], item["A"])  # deterministic
    batch = fixed_batch(ds, 2)
    assert batch["A"].shape == (2, 3, 24, 24)


# ------------------------------------------------------------------------------- sketches
def test_training_drawings_include_faces_as_people_draw_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ganapps.data import datasets
    from ganapps.data.datasets import PLAIN_SHARE, SCHEMATIC_SHARE
    from ganapps.data.sketch import EYE_DX, EYE_Y, schematic_face

    d = schematic_face(109, 89, np.random.default_rng(3))
    assert np.array_equal(d, schematic_face(109, 89, np.random.default_rng(3)))  # a function of the seed
    assert not np.array_equal(d, schematic_face(109, 89, np.random.default_rng(4)))
    ink = d < 0.5
    assert not ink[:, :5].any() and not ink[:, -5:].any()  # the head stays inside the frame
    eye_row = round(EYE_Y * 109)
    band = ink[eye_row - 6 : eye_row + 7]
    left, right = band[:, : round((0.5 - EYE_DX / 2) * 89)], band[:, round((0.5 + EYE_DX / 2) * 89) :]
    assert left[:, 15:].any() and right[:, :-15].any()  # an eye on each side, inside the oval
    rng = np.random.default_rng(0)
    photos = tmp_path / "faces"
    for i in range(60):
        _png(photos / f"{i:02d}.png", _domain_image(rng, "A", 40, 32))
    ds = SketchPairs(photos, 24, varied=True)
    schematic = [i for i in range(len(ds)) if np.random.default_rng(i).random() < SCHEMATIC_SHARE]
    assert 3 <= len(schematic) <= 20  # about 15% of 60
    i = schematic[0]
    drawn = fit_square(schematic_face(40, 32, _rng_after_share(i))[:, :, None], 24)[:, :, 0]
    assert torch.allclose(ds[i]["A"][0], torch.from_numpy(drawn) * 2 - 1, atol=1e-6)  # drawn in the frame, cropped as the photo
    monkeypatch.setattr(datasets, "varied_sketch", lambda photo, rng: np.zeros(photo.shape[:2], np.float32))
    plain = [i for i in range(len(ds)) if torch.equal(ds[i]["A"], SketchPairs(photos, 24)[i]["A"])]
    drawn_plain = [i for i in range(len(ds)) if 0 <= np.random.default_rng(i).random() - SCHEMATIC_SHARE < PLAIN_SHARE]
    assert plain == drawn_plain and 10 <= len(plain) <= 32  # about 35% as evaluation draws them (XDoG)


def _rng_after_share(i: int) -> np.random.Generator:
    rng = np.random.default_rng(i)
    rng.random()  # the draw that chose the schematic
    return rng


def test_photo_to_sketch_draws_dark_lines_on_white() -> None:
    rgb = np.zeros((143, 143, 3), np.float32) + 0.8
    cv2.circle(rgb, (71, 71), 40, (0.1, 0.1, 0.1), -1)  # a dark disc on a light ground
    sketch = photo_to_sketch(rgb)
    assert sketch.shape == (143, 143) and sketch.dtype == np.float32
    assert sketch.min() >= 0 and sketch.max() <= 1
    ink = sketch < 0.5
    assert 0.005 < ink.mean() < 0.2  # an outline, not a filled disc
    assert not ink[71, 71] and not ink[5, 5]  # inside and outside stay paper
    assert np.array_equal(photo_to_sketch(rgb), sketch)


def test_normalise_drawing_maps_any_pen_and_paper_to_the_sketch_style() -> None:
    paper = np.zeros((143, 143, 3), np.float32) + [0.95, 0.9, 0.8]  # cream paper, thick blue marker
    cv2.circle(paper, (71, 71), 45, (0.2, 0.2, 0.6), 14)
    out = normalise_drawing(paper)
    assert out[5, 5] > 0.99 and out.min() < 0.01  # white paper, black ink
    assert stroke_width(out < 0.5) < 6  # the 14-px marker was thinned towards XDoG's ~2.6 px
    inverted = normalise_drawing(1 - paper)  # light chalk on a dark board is the same drawing
    assert np.abs(inverted - out).mean() < 0.02
    alpha = np.zeros((143, 143), np.float32)
    cv2.circle(alpha, (71, 71), 45, 1.0, 14)  # transparent background, black strokes
    transparent = normalise_drawing(np.zeros((143, 143, 3), np.float32), alpha)
    assert transparent[5, 5] > 0.99 and transparent.min() < 0.01


# ------------------------------------------------------------------------------- training
def _cyclegan_trainer(root: Path, out: Path, iters: int, seed: int = 0, lr: float = 2e-4) -> Trainer:
    ds = UnalignedDataset(root, "train", load_size=36, seed=seed)
    task_cfg = CycleGANConfig(image_size=32, ngf=4, ndf=4, n_blocks=1, pool_size=3, lr=lr)
    torch.manual_seed(seed)  # the nets' initial weights
    task = CycleGANTask(task_cfg, fixed_batch(ds, 2))
    cfg = TrainConfig(out=out, iters=iters, batch_size=2, seed=seed, device="cpu", precision="fp32",
                      lr_schedule="linear", log_every=3, progress=False, checkpoint_every=1000)
    return Trainer(task, ds, cfg)


def test_cyclegan_training_lowers_the_cycle_loss_and_exports_both_directions(tmp_path: Path) -> None:
    root = make_unaligned(tmp_path / "data", n=16, size=40)
    trainer = _cyclegan_trainer(root, tmp_path / "run", iters=32, lr=2e-3)  # 4 epochs of 8 steps
    trainer.cfg.log_every = 4
    trainer.fit()
    cycle = [r["cycle_loss"] for r in trainer.metrics.read()]
    assert len(cycle) == 8
    assert np.mean(cycle[-3:]) < 0.85 * np.mean(cycle[:2])
    for stem in ("generator_AtoB", "generator_BtoA"):
        meta = TranslatePipeline(tmp_path / "run" / f"{stem}.safetensors").spec
        assert meta.task == "translate" and meta.image_size == 32 and meta.input == "photo"
    assert (tmp_path / "run" / "curves.png").exists() and (tmp_path / "run" / "samples" / "epoch_001.png").exists()


def test_cyclegan_resume_is_exact_including_the_image_pool(tmp_path: Path) -> None:
    root = make_unaligned(tmp_path / "data", n=4, size=40)
    straight = _cyclegan_trainer(root, tmp_path / "straight", iters=4)
    straight.fit()
    first = _cyclegan_trainer(root, tmp_path / "paused", iters=4)
    first.fit(max_steps=3)
    resumed = _cyclegan_trainer(root, tmp_path / "paused", iters=4)
    resumed.fit(resume=True)
    assert len(resumed.task.pool_a.images) == 3  # the pool came back from the checkpoint
    for name in ("G_AB", "D_B"):
        a = {**straight.task.generators, **straight.task.discriminators}[name].state_dict()
        b = {**resumed.task.generators, **resumed.task.discriminators}[name].state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    for x, y in zip(straight.task.pool_b.images, resumed.task.pool_b.images):
        assert torch.equal(x, y)


# ------------------------------------------------------------------------------- pipeline
def test_processing_size_keeps_aspect_and_caps_the_long_side() -> None:
    assert processing_size(256, 256, 128) == (128, 128)
    assert processing_size(600, 800, 128) == (128, 171)
    assert processing_size(100, 10000, 128, max_side=1024) == (10, 1024)


def test_a_files_processing_size_is_the_default_and_size_overrides_it(tmp_path: Path) -> None:
    from ganapps.data.io import Image

    seen: list[tuple[int, int]] = []
    pipe = TranslatePipeline(resnet_weights(tmp_path / "g.safetensors", image_size=16, processing_size=24))
    run = pipe.run_with_mask
    pipe.run_with_mask = lambda x: (seen.append(tuple(x.shape[-2:])), run(x))[1]  # type: ignore[method-assign]
    photo = Image(np.random.default_rng(0).random((40, 60, 3), dtype=np.float32))
    assert pipe(photo).size == (40, 60) and seen[-1] == (24, 36)
    assert pipe(photo, size=16).size == (40, 60) and seen[-1] == (16, 24)
    plain = TranslatePipeline(resnet_weights(tmp_path / "p.safetensors", image_size=16))
    assert plain.default_size == 16


def test_sketch_model_normalises_drawings_and_drops_their_alpha(tmp_path: Path) -> None:
    from ganapps.data.io import Image

    pipe = TranslatePipeline(unet_weights(tmp_path / "s.safetensors", input_kind="sketch"))
    alpha = np.zeros((40, 50), np.float32)
    cv2.line(alpha, (5, 5), (45, 35), 1.0, 3)
    out = pipe(Image(np.zeros((40, 50, 3), np.float32), alpha))  # strokes drawn in a transparent layer
    assert out.size == (40, 50) and out.alpha is None and not out.gray
    on_paper = pipe(Image(np.repeat(1 - alpha[:, :, None], 3, axis=2)))  # the same strokes, black on white
    assert np.abs(out.rgb - on_paper.rgb).max() < 1e-5, "a drawing is the drawing, whatever its layers"


# -------------------------------------------------------------------------------------- CLI
def _inputs(folder: Path) -> dict[str, tuple[int, int]]:
    """Various formats; returns name → (height, width)."""
    rng = np.random.default_rng(0)
    rgba = np.concatenate([_domain_image(rng, "A", 21, 30), np.full((21, 30, 1), 128, np.uint8)], axis=2)
    _png(folder / "rgb.png", _domain_image(rng, "A", 37, 23))
    _png(folder / "rgba.png", rgba)
    _png(folder / "gray.png", _domain_image(rng, "B", 17, 19)[:, :, 0])
    _png(folder / "deep.png", _domain_image(rng, "A", 25, 19).astype(np.uint16) * 257)
    cv2.imwrite(str(folder / "photo.jpg"), _domain_image(rng, "A", 26, 33))
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    return {"rgb": (37, 23), "rgba": (21, 30), "gray": (17, 19), "deep": (25, 19), "photo": (26, 33)}


def test_translate_writes_one_png_per_input_at_its_size_and_reports_the_corrupt_one(tmp_path: Path) -> None:
    sizes = _inputs(tmp_path / "in")
    weights = resnet_weights(tmp_path / "g.safetensors")
    result = runner.invoke(app, ["translate", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", str(weights), "--device", "cpu"])
    assert result.exit_code == 1, result.output
    assert "corrupt.png" in result.output and "wrote 5 images, 1 failed" in result.output
    for stem, (h, w) in sizes.items():
        out = cv2.imread(str(tmp_path / "out" / f"{stem}.png"), cv2.IMREAD_UNCHANGED)
        assert out is not None and out.shape[:2] == (h, w), stem
    rgba = cv2.imread(str(tmp_path / "out" / "rgba.png"), cv2.IMREAD_UNCHANGED)
    assert rgba.shape[2] == 4 and abs(int(rgba[..., 3].mean()) - 128) <= 1  # alpha passed through
    assert cv2.imread(str(tmp_path / "out" / "gray.png"), cv2.IMREAD_UNCHANGED).shape[2] == 3  # colour output
    assert cv2.imread(str(tmp_path / "out" / "deep.png"), cv2.IMREAD_UNCHANGED).dtype == np.uint16
    again = runner.invoke(app, ["translate", str(tmp_path / "in" / "rgb.png"), "-o", str(tmp_path / "one.png"),
                                "--model", str(weights), "--size", "24", "--device", "cpu"])
    assert again.exit_code == 0, again.output
    assert cv2.imread(str(tmp_path / "one.png")).shape[:2] == (37, 23)
    assert "processed at 24 px" in " ".join(again.output.split()) and "processed at 16 px" in " ".join(result.output.split())


def test_translate_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANAPPS_WEIGHTS", str(tmp_path / "no-weights"))
    _png(tmp_path / "a.png", np.zeros((8, 8, 3), np.uint8))
    unknown = runner.invoke(app, ["translate", "--task", "hors2zebra", str(tmp_path / "a.png"), "-o", str(tmp_path / "o")])
    assert unknown.exit_code == 2 and "did you mean 'horse2zebra'" in unknown.output
    missing = runner.invoke(app, ["translate", "--task", "zebra2horse", str(tmp_path / "a.png"), "-o", str(tmp_path / "o")])
    assert missing.exit_code == 1 and "missing" in missing.output and "zebra2horse.safetensors" in missing.output
    assert len([line for line in missing.output.splitlines() if line.strip()]) == 1


def test_translate_as_a_python_api(tmp_path: Path) -> None:
    from ganapps.api import load
    from ganapps.data.io import Image

    pipe = load(resnet_weights(tmp_path / "g.safetensors"))
    images = [Image(np.random.rand(h, w, 3).astype(np.float32)) for h, w in ((20, 30), (40, 60), (20, 30))]
    outs = pipe.translate_many(images)
    assert [o.size for o in outs] == [(20, 30), (40, 60), (20, 30)]


# ---------------------------------------------------------------------- training CLI, eval
def test_train_commands_and_eval_translate_end_to_end(tmp_path: Path) -> None:
    h2z = make_unaligned(tmp_path / "h2z", n=4, size=40)
    run = tmp_path / "cyc"
    r = runner.invoke(app, ["train", "cyclegan", "--data", str(h2z), "--out", str(run), "--size", "32", "--epochs", "1",
                            "--batch-size", "2", "--ngf", "4", "--n-blocks", "1", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    assert json.loads((run / "run.json").read_text())["lr_schedule"] == "linear"
    clf = tmp_path / "clf.safetensors"
    r = runner.invoke(app, ["train", "domain-classifier", "--data", str(h2z), "--out", str(clf), "--size", "16", "--epochs", "3"])
    assert r.exit_code == 0 and "accuracy on 8 real test images" in r.output, r.output
    r = runner.invoke(app, ["eval", "translate", "--task", "horse2zebra", "--data", str(h2z), "--device", "cpu",
                            "--model", str(run / "generator_AtoB.safetensors"), "--classifier", str(clf)])
    assert r.exit_code == 0 and "success" in r.output, r.output  # the header may wrap on a narrow console
    r = runner.invoke(app, ["eval", "translate", "--task", "horse2zebra", "--data", str(h2z), "--device", "cpu",
                            "--model", str(run / "generator_AtoB.safetensors"), "--classifier", str(clf), "--size", "24"])
    assert r.exit_code == 0 and "at 24 px" in " ".join(r.output.split()), r.output
    r = runner.invoke(app, ["eval", "translate", "--task", "facades", "--data", str(h2z), "--model", str(run / "generator_AtoB.safetensors")])
    assert r.exit_code == 2 and "needs a pix2pix model" in r.output

    facades = make_aligned(tmp_path / "facades", n=2, size=32)
    run = tmp_path / "p2p"
    r = runner.invoke(app, ["train", "pix2pix", "--data", str(facades), "--out", str(run), "--direction", "BtoA", "--size", "32",
                            "--epochs", "1", "--ngf", "2", "--input-kind", "labels", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    meta = TranslatePipeline(run / "generator.safetensors").spec
    assert (meta.direction, meta.input, meta.model) == ("BtoA", "labels", "pix2pix")
    r = runner.invoke(app, ["eval", "translate", "--task", "facades", "--data", str(facades), "--device", "cpu",
                            "--model", str(run / "generator.safetensors")])
    assert r.exit_code == 0 and "PSNR" in r.output, r.output
    r = runner.invoke(app, ["eval", "translate", "--task", "facades", "--data", str(facades), "--size", "64",
                            "--model", str(run / "generator.safetensors")])
    assert r.exit_code == 2 and "--size applies to CycleGAN" in r.output, r.output


def test_train_pix2pix_sketch_mode_on_a_plain_photo_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(2):
        _png(tmp_path / "faces" / "train" / f"{i}.png", _domain_image(rng, "A", 36, 30))
    r = runner.invoke(app, ["train", "pix2pix", "--data", str(tmp_path / "faces"), "--out", str(tmp_path / "run"), "--sketch",
                            "--size", "32", "--epochs", "1", "--ngf", "2", "--device", "cpu", "--precision", "fp32"])
    assert r.exit_code == 0, r.output
    assert TranslatePipeline(tmp_path / "run" / "generator.safetensors").input_kind == "sketch"


def test_pix2pix_holds_out_validation_pairs_and_scores_them_each_epoch(tmp_path: Path) -> None:
    from ganapps.data.datasets import SketchPairs

    photos = tmp_path / "faces"
    rng = np.random.default_rng(0)
    for i in range(20):
        _png(photos / f"{i:02d}.png", _domain_image(rng, "A", 40, 40))
    ds = SketchPairs(photos, 36, val=5)
    assert len(ds) == 18 and len(ds.val_files) == 2 and not set(ds.val_files) & set(ds.photos.files)  # a tenth at most
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "pix2pix", "--data", str(photos), "--sketch", "--out", str(run), "--size", "32",
                            "--epochs", "1", "--ngf", "2", "--val", "5", "--device", "cpu", "--precision", "fp32"])  # fmt: skip
    assert r.exit_code == 0, r.output
    [record] = [json.loads(line) for line in (run / "val.jsonl").read_text().splitlines()]
    assert record["epoch"] == 1 and 0 < record["ssim"] < 1 and record["psnr"] > 0 and "artifact_score" in record
    assert 0 <= record["schematic_faces_found"] <= 1  # a drawing → face model: are its outputs faces?
    assert (run / "snapshots" / f"step_{record['step']:06d}" / "generator.safetensors").exists()
    r = runner.invoke(app, ["eval", "translate", "--task", "sketch2photo", "--data", str(photos), "--device", "cpu",
                            "--model", str(run / "generator.safetensors")])
    assert r.exit_code == 0 and "SSIM" in r.output and "face detector finds one" in r.output, r.output
    # --split val scores the pairs the run held out as the run did: the step to ship is chosen without the test split
    from ganapps.eval.translate import evaluate_pix2pix

    held_out = evaluate_pix2pix(run / "generator.safetensors", photos, split="val")
    assert held_out["n"] == 2 and abs(held_out["psnr"] - record["psnr"]) < 0.01 and abs(held_out["ssim"] - record["ssim"]) < 1e-3
    r = runner.invoke(app, ["eval", "translate", "--task", "sketch2photo", "--data", str(photos), "--split", "val",
                            "--model", str(run / "generator.safetensors")])
    assert r.exit_code == 0 and "2 held-out training pairs" in " ".join(r.output.split()), r.output
