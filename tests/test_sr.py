"""Super-resolution (issue 4): degradation, nets, tiling, pipeline/CLI round trips, metrics, training.

Reference values for the MATLAB-style bicubic are derived by hand, not by another library:
Keys' cubic with a = -0.5 is k(t) = 1.5|t|³ - 2.5|t|² + 1 (|t| ≤ 1), -0.5|t|³ + 2.5|t|² - 4|t| + 2
(1 < |t| ≤ 2). Downscaling ×2 stretches it to k(t/2)/2; output pixel 1 samples input position 1.5,
so the taps sit at distances ±0.5, ±1.5, ±2.5, ±3.5 → k(0.25)=0.8671875, k(0.75)=0.2265625,
k(1.25)=-0.0703125, k(1.75)=-0.0234375; these sum to 1.0 per side (2.0 in all), so normalised:
[-0.01171875, -0.03515625, 0.11328125, 0.43359375] and mirrored. The ×4 kernel follows the same
way with distances ±0.5 ... ±7.5 and k(d/4), normalised by 4.0.
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

from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.core.trainer import TrainConfig, Trainer
from ganapps.data.degrade import degrade, imresize, resize_matrix
from ganapps.data.io import read_image, to_tensor
from ganapps.data.sr import SRCrops
from ganapps.eval.sr import gaussian_window, psnr, rgb_to_y, ssim, y_metrics
from ganapps.nets import spec_of
from ganapps.nets.srgan_disc import SRGANDiscriminator
from ganapps.nets.srresnet import SRResNet, SRResNetConfig
from ganapps.pipelines.tiling import blend_weights, check_tiling, tile_spans, tiled
from ganapps.pipelines.upscale import UpscalePipeline
from ganapps.tasks.srgan import SRGANTask, SRGANTaskConfig

runner = CliRunner()
HALF_X2 = [-0.01171875, -0.03515625, 0.11328125, 0.43359375]
HALF_X4 = [-0.001708984375, -0.010986328125, -0.018310546875, -0.011962890625,
           0.022705078125, 0.097412109375, 0.181884765625, 0.240966796875]  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These tensors are tiny: one thread is as fast, and immune to OpenMP oversubscription, which
    slows 2-thread runs 10-20× when another job keeps the cores busy."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tiny_model(path: Path, scale: int = 2, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    net = SRResNet(SRResNetConfig(scale=scale, num_feat=8, num_block=1))
    save_weights(path, net, spec_of(net) | {"task": "upscale", "scale": scale})
    return path


def _write(path: Path, a: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), a)
    return path


def _smooth(h: int, w: int, channels: int, seed: int = 0) -> np.ndarray:
    """A smooth random uint8 image (noise, blurred): natural-ish content for SR."""
    rng = np.random.default_rng(seed)
    a = cv2.GaussianBlur(rng.random((h, w, channels)).astype(np.float32), (0, 0), 2)
    a = a.reshape(h, w, channels)
    a = (a - a.min()) / (a.max() - a.min())
    return np.round(a * 255).astype(np.uint8)


# ----------------------------------------------------------------------------------- nets
@pytest.mark.parametrize("scale", [2, 4])
def test_srresnet_pixel_shuffle_shapes(scale: int) -> None:
    net = SRResNet(SRResNetConfig(scale=scale, num_feat=16, num_block=2))
    assert net(torch.zeros(2, 3, 7, 9)).shape == (2, 3, 7 * scale, 9 * scale)
    names = set(net.state_dict())
    assert {"conv_first.weight", "body.1.conv2.bias", "upconv1.weight", "conv_hr.weight", "conv_last.weight"} <= names
    assert ("upconv2.weight" in names) == (scale == 4)  # BasicSR MSRResNet naming
    with pytest.raises(ValueError, match="scale"):
        SRResNet(SRResNetConfig(scale=3))


def test_srgan_discriminator_any_size() -> None:
    d = SRGANDiscriminator()
    assert d(torch.zeros(2, 3, 96, 96)).shape == (2,)
    logits, feats = d.features(torch.zeros(2, 3, 40, 52))
    assert logits.shape == (2,) and len(feats) == 4 and feats[-1].shape[1] == 512


# ---------------------------------------------------------------------------- degradation
def test_bicubic_kernels_match_hand_derived_values() -> None:
    x2 = resize_matrix(16, 8, 0.5)[4].tolist()  # output 5 samples input 9.5 (1-based): taps 6..13
    assert x2[5:13] == pytest.approx(HALF_X2 + HALF_X2[::-1], abs=1e-12)
    x4 = resize_matrix(64, 16, 0.25)[8].tolist()  # centre 34.5: taps 27..42
    assert x4[26:42] == pytest.approx(HALF_X4 + HALF_X4[::-1], abs=1e-12)
    up = resize_matrix(8, 16, 2.0)[4].tolist()  # ×2 up, unstretched: output 5 samples 2.75, taps 1..4
    assert up[0:4] == pytest.approx([-0.0234375, 0.2265625, 0.8671875, -0.0703125], abs=1e-12)


def test_imresize_symmetric_border_on_a_ramp() -> None:
    # Row 0..7 halved. Interior outputs of a ramp are exact (2j + 0.5), but the mirrored taps
    # (index 0 → 1, -1 → 2, ...; 9 → 8, ...) shift the result by the kernel weight they carry:
    # out[0] = Σ w·[2,1,0,0,1,2,3,4] = 0.44921875; out[1] = 2.5 + 0.01171875·(0 - (-1))·(-1) ...
    ramp = torch.arange(8, dtype=torch.float64).expand(4, 8)
    out = imresize(ramp, 0.5)
    assert out.shape == (2, 4)
    assert out[0].tolist() == pytest.approx([0.44921875, 2.48828125, 4.51171875, 6.55078125], abs=1e-12)
    assert torch.allclose(out[0], out[1])


def test_degrade_rounds_like_matlab_uint8() -> None:
    levels = torch.arange(8, dtype=torch.float32).expand(1, 3, 8, 8) * 10  # grey 0, 10, ..., 70
    lr = degrade(levels / 127.5 - 1, 2)
    # 10 × the ramp values above, rounded half up: 4.49 → 4, 24.88 → 25, 45.12 → 45, 65.51 → 66.
    assert ((lr[0, 0, 0] + 1) * 127.5).round().tolist() == [4, 25, 45, 66]
    flat = degrade(torch.full((1, 3, 8, 12), 153 / 127.5 - 1), 4)  # a flat grey stays that grey
    assert flat.shape == (1, 3, 2, 3) and torch.allclose((flat + 1) * 127.5, torch.tensor(153.0))
    with pytest.raises(ValueError, match="multiple"):
        degrade(torch.zeros(1, 3, 10, 8), 4)


def test_sr_crops_deterministic_and_aligned(tmp_path: Path) -> None:
    _write(tmp_path / "a.png", _smooth(40, 50, 3))
    _write(tmp_path / "small.png", _smooth(10, 10, 3))
    ds = SRCrops([tmp_path], scale=4, crop=24, min_items=10, seed=3)
    assert ds.skipped == [tmp_path / "small.png"] and len(ds) == 10
    a, b, c = ds[0], ds[0], ds[1]
    assert torch.equal(a["hr"], b["hr"]) and not torch.equal(a["hr"], c["hr"])
    assert a["hr"].shape == (3, 24, 24) and a["lr"].shape == (3, 6, 6)
    assert torch.equal(a["lr"], degrade(a["hr"], 4)) and a["hr"].abs().max() <= 1


# ---------------------------------------------------------------------------------- tiling
def test_blend_weights_are_a_partition_of_unity() -> None:
    for tile in (8, 16, 33):
        for overlap in range(0, tile // 2 + 1):
            for length in (1, tile - 1, tile, tile + 1, 2 * tile + 3, 5 * tile - 2):
                spans = tile_spans(length, tile, overlap)
                assert spans[0][0] == 0 and spans[-1][1] == length
                total = torch.zeros(length * 2, dtype=torch.float64)
                for (a, b), w in zip(spans, blend_weights(spans, 2, overlap)):
                    total[a * 2 : b * 2] += w
                assert torch.allclose(total, torch.ones_like(total)), (tile, overlap, length)


@pytest.mark.parametrize("size,tile,overlap,batch", [((37, 53), 16, 8, 3), ((64, 20), 24, 12, 4), ((17, 100), 32, 16, 1)])
def test_tiled_equals_whole_image(size: tuple[int, int], tile: int, overlap: int, batch: int) -> None:
    torch.manual_seed(0)
    net = SRResNet(SRResNetConfig(scale=2, num_feat=8, num_block=1)).eval()  # receptive radius < overlap/4
    x = torch.rand(2, 3, *size) * 2 - 1
    with torch.no_grad():
        whole = net(x)
        assert torch.allclose(tiled(net, x, 2, tile, overlap, batch), whole, atol=1e-5)
        assert torch.equal(tiled(net, x, 2, 0, 0), whole)
    with pytest.raises(ValueError):
        check_tiling(16, 9)


def test_pipeline_tiles_match_untiled_psnr(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "m.safetensors", scale=4)
    x = torch.rand(1, 3, 70, 90) * 2 - 1
    whole = UpscalePipeline(model, precision="fp32", tile=0).upscale_tensor(x)
    tiles = UpscalePipeline(model, precision="fp32", tile=32, tile_overlap=16).upscale_tensor(x)
    assert tiles.shape == whole.shape == (1, 3, 280, 360)
    assert 10 * math.log10(4 / (tiles - whole).square().mean().item()) >= 50


# -------------------------------------------------------------------------- CLI round trips
def test_upscale_cli_rgba_gray_16bit(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    model = _tiny_model(tmp_path / "tiny.safetensors")
    src = tmp_path / "in"
    src.mkdir()
    rgba = np.dstack([_smooth(20, 30, 3), np.full((20, 30), 128, np.uint8)])
    _write(src / "rgba.png", rgba)
    _write(src / "gray.png", _smooth(21, 17, 1)[:, :, 0])
    _write(src / "deep.png", _smooth(18, 22, 3).astype(np.uint16) * 257)
    PILImage.fromarray(np.dstack([_smooth(9, 11, 1)[:, :, 0], np.full((9, 11), 255, np.uint8)]), "LA").save(src / "la.png")
    for tile in ("0", "12"):
        out = tmp_path / f"out{tile}"
        r = runner.invoke(app, ["upscale", "x2", str(src), "-o", str(out), "--model", str(model), "--tile", tile,
                                "--tile-overlap", "6", "--device", "cpu"])  # fmt: skip
        assert r.exit_code == 0, r.output
    read = lambda p: cv2.imread(str(p), cv2.IMREAD_UNCHANGED)  # noqa: E731
    a, g, d = read(tmp_path / "out0/rgba.png"), read(tmp_path / "out0/gray.png"), read(tmp_path / "out0/deep.png")
    assert a.shape == (40, 60, 4) and (a[:, :, 3] == 128).all()  # constant alpha stays constant
    assert g.shape == (42, 34) and g.dtype == np.uint8
    assert d.shape == (36, 44, 3) and d.dtype == np.uint16 and d.max() > 255
    la = read(tmp_path / "out0/la.png")  # OpenCV reads gray+alpha as BGRA, and writes it back so
    assert la.shape == (18, 22, 4) and (la[:, :, 3] == 255).all()
    for name in ("rgba.png", "gray.png", "deep.png", "la.png"):  # tiles (bf16 on AMX CPUs) vs whole: ≤ 1 level
        diff = np.abs(read(tmp_path / "out0" / name).astype(int) - read(tmp_path / "out12" / name).astype(int))
        assert diff.max() <= (257 if name == "deep.png" else 1)


def test_upscale_cli_exif_single_file_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image as PILImage

    model = _tiny_model(tmp_path / "tiny.safetensors")
    photo = tmp_path / "photo.jpg"
    exif = PILImage.Exif()
    exif[0x0112] = 6  # stored landscape, displayed rotated 90° clockwise
    PILImage.fromarray(_smooth(10, 16, 3)).save(photo, exif=exif.tobytes())
    out = tmp_path / "big.png"
    r = runner.invoke(app, ["upscale", "x2", str(photo), "-o", str(out), "--model", str(model), "--device", "cpu"])
    assert r.exit_code == 0, r.output
    assert read_image(out).size == (32, 20)
    usage = [
        ["upscale", "x3", str(photo), "-o", str(tmp_path / "o"), "--model", str(model)],
        ["upscale", "x4", str(photo), "-o", str(tmp_path / "o"), "--model", str(model)],  # a ×2 model
        ["upscale", "x2", str(photo), "-o", str(tmp_path / "o"), "--model", str(model), "--tile", "8", "--tile-overlap", "5"],
    ]
    for args in usage:
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output
    monkeypatch.setenv("GANAPPS_WEIGHTS", str(tmp_path / "no-weights"))  # the shipped file gone
    r = runner.invoke(app, ["upscale", "x4", str(photo), "-o", str(tmp_path / "o"), "--model", "srgan"])
    assert r.exit_code == 1 and "srgan-x4" in r.output and len(r.output.strip().splitlines()) == 1


# ----------------------------------------------------------------------------------- metrics
def test_y_psnr_ssim_known_pairs() -> None:
    white, black = torch.ones(1, 3, 2, 2), torch.zeros(1, 3, 2, 2)
    assert rgb_to_y(white).flatten().tolist() == pytest.approx([235.0] * 4)
    assert rgb_to_y(black).flatten().tolist() == pytest.approx([16.0] * 4)
    hr = (torch.arange(32 * 32 * 3, dtype=torch.float32).reshape(1, 3, 32, 32) % 200 + 20).div(127.5).sub(1)
    assert y_metrics(hr, hr, 4) == (math.inf, pytest.approx(1.0))
    # One grey level more in R, G and B moves Y by 219/255 everywhere: PSNR = 20·log10(255² / 219).
    p, _ = y_metrics(hr + 2 / 255, hr, 4)
    assert p == pytest.approx(20 * math.log10(255**2 / 219), abs=1e-9)
    # Constant images: σ = 0, so SSIM = (2·μa·μb + C1) / (μa² + μb² + C1).
    a, b = torch.full((1, 1, 20, 20), 100.0), torch.full((1, 1, 20, 20), 110.0)
    c1 = (0.01 * 255) ** 2
    assert ssim(a, b) == pytest.approx((2 * 100 * 110 + c1) / (100**2 + 110**2 + c1), abs=1e-12)
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 100))


def test_ssim_matches_direct_window_sums() -> None:
    g = torch.Generator().manual_seed(0)
    a = torch.rand(1, 1, 13, 12, generator=g, dtype=torch.float64) * 255
    b = (a + torch.randn(1, 1, 13, 12, generator=g, dtype=torch.float64) * 20).clamp(0, 255)
    w = gaussian_window()
    assert w.sum().item() == pytest.approx(1.0) and w[5, 5] == w.max()
    c1, c2, vals = (0.01 * 255) ** 2, (0.03 * 255) ** 2, []
    for y in range(3):
        for x in range(2):
            pa, pb = a[0, 0, y : y + 11, x : x + 11], b[0, 0, y : y + 11, x : x + 11]
            ma, mb = (w * pa).sum(), (w * pb).sum()
            va, vb = (w * (pa - ma) ** 2).sum(), (w * (pb - mb) ** 2).sum()
            cov = (w * (pa - ma) * (pb - mb)).sum()
            vals.append(((2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2))).item())
    assert ssim(a, b) == pytest.approx(sum(vals) / len(vals), abs=1e-10)


def test_eval_upscale_table(tmp_path: Path) -> None:
    model = _tiny_model(tmp_path / "tiny.safetensors")
    bench = tmp_path / "Set2"
    bench.mkdir()
    _write(bench / "a.png", _smooth(34, 30, 3))
    _write(bench / "b.png", _smooth(32, 41, 3, seed=1))
    r = runner.invoke(app, ["eval", "upscale", "--data", str(bench), "--scale", "2", "--model", str(model), "--device", "cpu"])
    assert r.exit_code == 0, r.output
    assert not re.search(r"\bnan\b", r.output, re.I), r.output  # every figure a number
    assert "Set2" in r.output and "bicubic" in r.output and "tiny" in r.output


# ---------------------------------------------------------------------------------- training
def test_train_srresnet_then_srgan_and_resume(tmp_path: Path) -> None:
    data = tmp_path / "hr"
    data.mkdir()
    for i in range(3):
        _write(data / f"{i}.png", _smooth(30, 36, 3, seed=i))
    common = ["--data", str(data), "--scale", "2", "--crop", "16", "--batch-size", "2", "--device", "cpu", "--precision", "fp32"]
    r = runner.invoke(app, ["train", "srresnet", "--out", str(tmp_path / "psnr"), "--iters", "3", *common])
    assert r.exit_code == 0, r.output
    init = tmp_path / "psnr" / "srresnet.safetensors"
    assert init.exists()

    vgg = tmp_path / "vgg19.pth"
    from ganapps.nets.vgg import VGG19Features

    torch.save(VGG19Features().state_dict() | {"classifier.0.weight": torch.zeros(2, 2)}, vgg)
    r = runner.invoke(app, ["train", "srgan", "--out", str(tmp_path / "vgg"), "--iters", "2", "--init", str(init),
                            "--vgg-weights", str(vgg), *common])  # fmt: skip
    assert r.exit_code == 0, r.output

    bad = runner.invoke(app, ["train", "srgan", "--out", str(tmp_path / "x"), "--iters", "1", "--init", str(vgg), *common])
    assert bad.exit_code == 1 and "vgg19.pth" in bad.output and bad.output.strip().count("\n") == 0, bad.output

    def trainer(out: str):  # the same run, so a pause then --resume must match it bit for bit
        task = SRGANTask(SRGANTaskConfig(scale=2), {k: v[None] for k, v in crops[0].items()})
        cfg = TrainConfig(out=tmp_path / out, iters=4, batch_size=2, device="cpu", precision="fp32", progress=False,
                          checkpoint_every=1000, lr_schedule="cosine", init=[init])  # fmt: skip
        return Trainer(task, crops, cfg)

    crops = SRCrops([data], scale=2, crop=16, min_items=8)
    straight = trainer("straight")
    straight.fit()
    trainer("paused").fit(max_steps=2)
    resumed = trainer("paused")
    resumed.fit(resume=True)
    a, b = straight.task.generators["G"].state_dict(), resumed.task.generators["G"].state_dict()
    assert resumed.step == 4 and all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ realistic degradations (issue 15)
def test_realistic_degradation_is_fixed_by_its_seed_and_keeps_shape_and_range() -> None:
    from ganapps.data.realistic import degrade_realistic

    hr = np.random.default_rng(0).random((96, 64, 3), dtype=np.float32)
    runs = [degrade_realistic(hr, 4, np.random.default_rng(s)) for s in (3, 3, 4)]
    assert all(r.shape == (24, 16, 3) and r.dtype == np.float32 and 0 <= r.min() and r.max() <= 1 for r in runs)
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])
    with pytest.raises(ValueError, match="multiples of the scale"):
        degrade_realistic(hr[:95], 4, np.random.default_rng(0))


def test_realistic_inputs_of_a_benchmark_are_the_same_each_run_and_differ_per_file() -> None:
    from ganapps.eval.sr import low_resolution

    hr = to_tensor(_smooth(48, 40, 3).astype(np.float32) / 255)
    a, b = low_resolution(hr, 4, "realistic", "baby.png"), low_resolution(hr, 4, "realistic", "baby.png")
    assert a.shape == (1, 3, 12, 10) and torch.equal(a, b)
    assert not torch.equal(a, low_resolution(hr, 4, "realistic", "bird.png"))
    assert torch.equal(low_resolution(hr, 4, "clean", "baby.png"), degrade(hr, 4))


def test_sharpness_is_one_for_the_truth_and_low_for_a_blur() -> None:
    from ganapps.eval.sr import sharpness

    hr = to_tensor(np.random.default_rng(0).random((40, 40, 3), dtype=np.float32))
    assert sharpness(hr, hr, 4) == pytest.approx(1.0)
    assert sharpness(imresize(degrade(hr, 4), 4), hr, 4) < 0.5


def test_icnr_sub_pixel_convs_start_without_a_checkerboard() -> None:
    """A constant image through a fresh ×4 net gives no 2- or 4-px period: every output block is flat."""
    from ganapps.eval.scene import periodic_artifact_score
    from ganapps.nets.compact_sr import CompactSR, CompactSRConfig

    torch.manual_seed(0)
    flat = torch.full((1, 3, 32, 32), 0.3)
    for net in (CompactSR(CompactSRConfig(scale=4, num_feat=8, num_conv=2)), SRResNet(SRResNetConfig(num_feat=8, num_block=1))):
        with torch.no_grad():
            out = net(flat)
        detail = out[..., 32:-32, 32:-32] - 0.3  # what the net adds to the upsampled input, away from the border
        variation = (detail - detail.mean(dim=(-2, -1), keepdim=True)).abs().max()
        assert variation <= 1e-4 * detail.abs().max(), type(net).__name__
    random_init = torch.nn.Conv2d(8, 3 * 16, 3, padding=1)  # what ICNR replaces: a mesh from the start
    mesh = torch.nn.PixelShuffle(4)(random_init(torch.ones(1, 8, 16, 16)))[0, :, 8:-8, 8:-8].detach()
    assert periodic_artifact_score(mesh) > 5 * periodic_artifact_score(torch.rand(3, 48, 48))


def test_real_sr_head_trains_on_realistic_inputs_and_its_weights_upscale(tmp_path: Path) -> None:
    from ganapps.api import load
    from ganapps.data.io import Image
    from ganapps.data.sr import RealisticSRCrops

    data = tmp_path / "hr"
    data.mkdir()
    for i in range(2):
        _write(data / f"{i}.png", _smooth(40, 48, 3, seed=i))
    crops = RealisticSRCrops([data], scale=2, crop=32, seed=1)
    a, b = crops[1], crops[1]
    assert a["lr"].shape == (3, 16, 16) and torch.equal(a["lr"], b["lr"]) and not torch.equal(a["lr"], degrade(a["hr"], 2))
    mixed = RealisticSRCrops([data], scale=2, crop=32, seed=1, clean_share=0.5, min_items=80)
    clean = [torch.equal(item["lr"], degrade(item["hr"], 2)) for item in (mixed[i] for i in range(len(mixed)))]
    assert 0.3 < np.mean(clean) < 0.7  # about half the inputs downscaled cleanly, the rest degraded
    assert all(torch.equal(mixed[i]["lr"], mixed[i]["lr"]) for i in range(4))  # still a function of the index
    common = ["--data", str(data), "--scale", "2", "--crop", "32", "--width", "8", "--depth", "2", "--batch-size", "2",
              "--device", "cpu", "--precision", "fp32"]  # fmt: skip
    r = runner.invoke(app, ["train", "real-sr", "--out", str(tmp_path / "p1"), "--iters", "2", "--adv-weight", "0", *common])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["train", "real-sr", "--out", str(tmp_path / "p2"), "--iters", "2",
                            "--init", str(tmp_path / "p1" / "generator.safetensors"), *common])  # fmt: skip
    assert r.exit_code == 0 and "D accuracy" in r.output, r.output
    pipe = load(tmp_path / "p2" / "generator.safetensors")
    assert pipe.spec.degradation == "realistic" and pipe(Image(np.zeros((9, 11, 3), np.float32))).size == (18, 22)
    r = runner.invoke(app, ["train", "real-sr", "--out", str(tmp_path / "x"), "--iters", "1", *common[:4], "--crop", "36"])
    assert r.exit_code == 2 and "multiple of the scale 2 and of 8" in r.output
    r = runner.invoke(app, ["train", "real-sr", "--out", str(tmp_path / "y"), "--iters", "1", *common, "--clean-share", "1.5"])
    assert r.exit_code == 2 and "--clean-share 1.5" in r.output


def test_sr_heads_hold_out_images_and_score_them_against_bicubic(tmp_path: Path, function_net) -> None:
    from ganapps.data.sr import RealisticSRCrops
    from ganapps.eval.sr import validation_pairs

    data = tmp_path / "hr"
    data.mkdir()
    for i in range(20):
        _write(data / f"{i:02d}.png", _smooth(40, 48, 3, seed=i))
    crops = SRCrops([data], scale=2, crop=32, val=5)
    assert len(crops.images) == 18 and len(crops.val_paths) == 2  # a tenth at most
    assert RealisticSRCrops([data], scale=2, crop=32, val=5).val_paths == crops.val_paths  # the same split
    clean = validation_pairs(crops.val_paths, 2, "clean")
    real = validation_pairs(crops.val_paths, 2, "realistic")
    assert clean[0][1].shape == (1, 3, 40, 40) and clean[0][0].shape == (1, 3, 20, 20)  # centre squares
    assert torch.equal(clean[0][1], real[0][1]) and not torch.equal(clean[0][0], real[0][0])
    assert torch.equal(validation_pairs(crops.val_paths, 2, "realistic")[0][0], real[0][0])  # fixed inputs
    bicubic = function_net(lambda lr: imresize(lr, 2))

    task = SRGANTask(SRGANTaskConfig(scale=2), crops.samples(1))
    assert task.validate({"G": bicubic}) == {}  # nothing held out, nothing scored
    task.val = clean
    figures = task.validate({"G": bicubic})
    assert figures["gain_vs_bicubic"] == 0.0 and 20 < figures["psnr_y"] < 80 and 0 < figures["ssim_y"] <= 1
    assert set(figures) == {"psnr_y", "ssim_y", "gain_vs_bicubic", "sharpness", "artifact_score"}
    from ganapps.tasks.realsr import RealSRConfig, RealSRTask

    real_task = RealSRTask(RealSRConfig(scale=2, width=4, depth=1, adv_weight=0.0), crops.samples(1))
    real_task.val, real_task.val_clean = real, clean  # as build() sets them: the realistic and the clean inputs
    both = real_task.validate({"G": bicubic})
    assert both["clean_psnr_y"] == figures["psnr_y"] and both["psnr_y"] != figures["psnr_y"]
