"""Outputs in the format their name asks for: JPEG, WebP, TIFF, BMP as well as PNG."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.data.io import Image, read_image, write_image
from ganapps.nets import spec_of
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig

pytestmark = pytest.mark.usefixtures("one_thread")
runner = CliRunner()


def _rgba16(h: int = 12, w: int = 16) -> Image:
    """A 16-bit gradient with a fully transparent left half."""
    rng = np.random.default_rng(0)
    rgb = np.clip(np.linspace(0, 1, w)[None, :, None] * np.ones((h, 1, 3)) + rng.normal(0, 0.01, (h, w, 3)), 0, 1)
    alpha = np.ones((h, w), np.float32)
    alpha[:, : w // 2] = 0
    return Image(rgb.astype(np.float32), alpha, bit_depth=16)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_lossless_deep_formats_keep_16_bits_and_alpha(tmp_path: Path, suffix: str) -> None:
    image = _rgba16()
    notes = write_image(tmp_path / f"out{suffix}", image)
    back = read_image(tmp_path / f"out{suffix}")
    assert notes == [] and back.bit_depth == 16 and back.alpha is not None
    assert np.abs(back.rgb - image.rgb).max() <= 1 / 65535 and np.array_equal(back.alpha, image.alpha)


def test_jpeg_flattens_transparency_onto_white_and_says_so(tmp_path: Path) -> None:
    notes = write_image(tmp_path / "out.jpg", _rgba16(), quality=100)
    data = (tmp_path / "out.jpg").read_bytes()
    back = read_image(tmp_path / "out.jpg")
    assert data[:2] == b"\xff\xd8" and back.alpha is None and back.bit_depth == 8
    assert back.rgb[:, :5].min() > 0.95  # the transparent half is white, not the colour under it
    assert any("no transparency" in n for n in notes) and any("16-bit output rounded to 8" in n for n in notes)


def test_webp_keeps_alpha_and_quality_trades_size(tmp_path: Path) -> None:
    image = Image(np.random.default_rng(1).random((64, 64, 3)).astype(np.float32), np.full((64, 64), 0.5, np.float32))
    write_image(tmp_path / "q20.webp", image, quality=20)
    write_image(tmp_path / "q95.webp", image, quality=95)
    assert (tmp_path / "q20.webp").read_bytes()[8:12] == b"WEBP"
    assert (tmp_path / "q20.webp").stat().st_size < (tmp_path / "q95.webp").stat().st_size
    assert read_image(tmp_path / "q95.webp").alpha is not None


def _weights(path: Path) -> Path:
    torch.manual_seed(0)
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1))
    save_weights(path, g, spec_of(g) | {"task": "translate", "model": "cyclegan", "image_size": 16, "input": "photo"})
    return path


def _photos(folder: Path, n: int = 2, alpha: bool = False) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        img = np.random.default_rng(i).integers(0, 255, (20, 24, 4 if alpha else 3), dtype=np.uint8)
        paths.append(folder / f"p{i}.png")
        cv2.imwrite(str(paths[-1]), img)
    return paths


def test_translate_writes_the_format_the_name_asks_for(tmp_path: Path) -> None:
    model = _weights(tmp_path / "g.safetensors")
    [rgba] = _photos(tmp_path / "in", 1, alpha=True)
    r = runner.invoke(app, ["translate", str(rgba), "-o", str(tmp_path / "one.jpg"), "--model", str(model), "--quality", "80"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "one.jpg").read_bytes()[:2] == b"\xff\xd8" and read_image(tmp_path / "one.jpg").size == (20, 24)
    assert "1 output: JPEG holds no transparency" in r.output

    _photos(tmp_path / "many", 2)
    r = runner.invoke(app, ["translate", str(tmp_path / "many"), "-o", str(tmp_path / "out"), "--model", str(model), "--format", "webp"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0.webp", "p1.webp"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["-o", "{tmp}/x.gif"], "not an image name we write"),
        (["-o", "{tmp}/x.jpg", "--format", "png"], "--format is for output folders"),
        (["-o", "{tmp}/folder", "--format", "gif"], "--format gif: use png, jpg, webp, tif or bmp"),
    ],
)
def test_unwritable_formats_are_one_line_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    model = _weights(tmp_path / "g.safetensors")
    [photo] = _photos(tmp_path / "in", 1)
    r = runner.invoke(app, ["translate", str(photo), "--model", str(model), *[a.format(tmp=tmp_path) for a in args]])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.gif").exists() and not (tmp_path / "x.jpg").exists()
