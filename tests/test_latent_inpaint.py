"""``--method latent``: inpainting by a search in a face GAN's latent space (issue 16, item 5)."""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.data.io import Image
from ganapps.eval.inpaint import evaluate_inpainting
from ganapps.nets import spec_of
from ganapps.nets.imagegan import ImageGANGenerator, ImageGANGeneratorConfig
from ganapps.nets.inpaint_net import InpaintGenerator, InpaintGeneratorConfig
from ganapps.pipelines.latent_inpaint import LatentInpaintPipeline, LatentSearch

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("one_thread")
FAST = LatentSearch(steps=20, restarts=2)


def _toy_generator(path: Path) -> Path:
    torch.manual_seed(0)
    g = ImageGANGenerator(ImageGANGeneratorConfig(nz=16, ngf=4, image_size=32))
    save_weights(path, g, spec_of(g) | {"task": "generate", "image_size": 32})
    return path


def _smooth(h: int, w: int, seed: int = 0) -> np.ndarray:
    a = cv2.GaussianBlur(np.random.default_rng(seed).random((h, w, 3)).astype(np.float32), (0, 0), 2)
    return (a - a.min()) / (a.max() - a.min())


def test_the_square_comes_from_the_generator_the_rest_from_telea_and_known_pixels_stay(tmp_path: Path) -> None:
    pipe = LatentInpaintPipeline(_toy_generator(tmp_path / "g.safetensors"), face="off")
    pipe.search = FAST
    assert pipe.image_size == 32
    seen: list[tuple[int, ...]] = []
    fill = pipe.fill
    pipe.fill = lambda image, mask: seen.append(tuple(image.shape)) or fill(image, mask)  # type: ignore[method-assign]
    rgb = _smooth(109, 89)
    hole = np.zeros((109, 89), bool)
    hole[40:60, 30:60] = True  # inside the centre square (rows 10-98)
    hole[2:6, 10:20] = True  # above it: no generator pixel there
    out = pipe(Image(rgb), hole)
    assert seen == [(1, 3, 32, 32)]  # the centre square at the generator's size
    assert out.rgb.shape == rgb.shape and np.array_equal(out.rgb[~hole], rgb[~hole])
    assert not np.allclose(out.rgb[40:60, 30:60], 0.5, atol=0.02)  # not left grey
    # the part outside the square is OpenCV's Telea fill of the same image
    ink = (rgb * 255).round().astype(np.uint8)
    band = np.zeros_like(hole)
    band[2:6, 10:20] = True
    telea = cv2.inpaint(ink, band.astype(np.uint8), 3, cv2.INPAINT_TELEA).astype(np.float32) / 255
    assert np.allclose(out.rgb[band], telea[band], atol=1 / 255)


def test_fill_is_deterministic_and_works_under_inference_mode(tmp_path: Path) -> None:
    pipe = LatentInpaintPipeline(_toy_generator(tmp_path / "g.safetensors"), face="off")
    pipe.search = FAST
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 8:20, 8:20] = 1
    with torch.inference_mode():  # as the demo and eval call pipelines
        a = pipe.fill(image, mask)
    b = pipe.fill(image, mask)
    assert torch.equal(a, b) and torch.equal(a * (1 - mask), image * (1 - mask))
    assert not torch.equal(a, image)


def test_cli_needs_a_face_generator_and_names_how_to_get_one(tmp_path: Path) -> None:
    photo, hole = tmp_path / "p.png", tmp_path / "m.png"
    cv2.imwrite(str(photo), (_smooth(40, 30) * 255).astype(np.uint8))
    m = np.zeros((40, 30), np.uint8)
    m[10:20, 10:20] = 255
    cv2.imwrite(str(hole), m)
    inpainter = tmp_path / "inpaint.safetensors"
    net = InpaintGenerator(InpaintGeneratorConfig(width=4))
    save_weights(inpainter, net, spec_of(net) | {"task": "inpaint", "image_size": 16})
    r = runner.invoke(app, ["inpaint", str(photo), "--mask", str(hole), "-o", str(tmp_path / "o.png"), "--method", "latent",
                            "--model", str(inpainter)])  # fmt: skip
    assert r.exit_code == 1 and "needs an unconditional image generator" in r.output and not (tmp_path / "o.png").exists()
    assert len(r.output.strip().splitlines()) == 1, r.output
    r = runner.invoke(app, ["inpaint", str(photo), "--mask", str(hole), "-o", str(tmp_path / "o.png"), "--method", "latent"])
    assert r.exit_code == 1 and "no shipped faces weights yet" in r.output and "ganapps train image-gan" in r.output, r.output
    r = runner.invoke(app, ["inpaint", str(photo), "--mask", str(hole), "-o", str(tmp_path / "o.png"), "--method", "paint"])
    assert r.exit_code == 2 and "--method paint" in r.output
    g = _toy_generator(tmp_path / "g.safetensors")
    r = runner.invoke(app, ["inpaint", str(photo), "--mask", str(hole), "-o", str(tmp_path / "o.png"), "--method", "latent",
                            "--model", str(g), "--face", "off"])  # fmt: skip
    assert r.exit_code == 0, r.output
    out = cv2.imread(str(tmp_path / "o.png"))
    assert np.array_equal(out[m == 0], cv2.imread(str(photo))[m == 0])


def test_eval_reports_the_latent_method_on_the_first_images(tmp_path: Path) -> None:
    g = _toy_generator(tmp_path / "g.safetensors")
    test = tmp_path / "faces" / "test"
    test.mkdir(parents=True)
    for i in range(4):
        cv2.imwrite(str(test / f"{i}.png"), (_smooth(36, 30, seed=i) * 255).astype(np.uint8))
    report = evaluate_inpainting(g, tmp_path / "faces", [(0.2, 0.3)], framing="crop", method="latent", limit=2)
    assert report["n"] == 2 and report["method"] == "latent" and report["image_size"] == 32
    b = report["buckets"][0]
    assert b["ours"]["psnr"] != b["telea"]["psnr"] and 0 < b["ours"]["l1"] < 1
    r = runner.invoke(app, ["eval", "inpaint", "--data", str(tmp_path / "faces"), "--method", "latent", "--model", str(g),
                            "--limit", "1", "--mask-ratio", "0.2-0.3", "--masks", "wide", "--face", "off"])  # fmt: skip
    assert r.exit_code == 0 and "(latent)" in r.output and "1 images" in r.output, r.output
    assert not re.search(r"\bnan\b", r.output, re.I), r.output
