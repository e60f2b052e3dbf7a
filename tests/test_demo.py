"""``ganapps demo`` (issue 17): the handlers without Gradio, then the page served in-process and
called through ``gradio_client``, then (where Chromium and Playwright are installed) in a browser.

Every model is a tiny random net saved under the shipped names in a temporary weights folder
(``$GANAPPS_WEIGHTS``), so the tests need no shipped weights and run in seconds on one thread.
"""
from __future__ import annotations

import shutil
import socket
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.demo import handlers as h
from ganapps.nets import spec_of
from ganapps.nets.dcgan import DCGANGenerator, DCGANGeneratorConfig
from ganapps.nets.inpaint_net import InpaintGenerator, InpaintGeneratorConfig
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from ganapps.nets.srresnet import SRResNet, SRResNetConfig
from ganapps.nets.unet import UNetGenerator, UNetGeneratorConfig
from ganapps.weights import sha256


def _tiny_nets() -> dict[str, tuple[torch.nn.Module, dict]]:
    torch.manual_seed(0)
    resnet = lambda: ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1))  # noqa: E731
    unet = lambda: UNetGenerator(UNetGeneratorConfig(ngf=4, num_downs=5))  # noqa: E731
    cyclegan = {"task": "translate", "model": "cyclegan", "image_size": 32, "input": "photo"}
    pix2pix = {"task": "translate", "model": "pix2pix", "image_size": 32, "direction": "AtoB"}
    return {
        "horse2zebra": (resnet(), cyclegan),
        "zebra2horse": (resnet(), cyclegan),
        "facades": (unet(), pix2pix | {"input": "labels"}),
        "sketch2photo": (unet(), pix2pix | {"input": "sketch"}),
        "inpaint-faces": (InpaintGenerator(InpaintGeneratorConfig(width=4)), {"task": "inpaint", "image_size": 16}),
        "srgan-x4": (SRResNet(SRResNetConfig(scale=4, num_feat=8, num_block=1)), {"task": "upscale", "scale": 4}),
        "srresnet-x4": (SRResNet(SRResNetConfig(scale=4, num_feat=8, num_block=1)), {"task": "upscale", "scale": 4}),
        "dcgan-fashion": (DCGANGenerator(DCGANGeneratorConfig(nz=16, ngf=8)), {"task": "generate"}),
    }


@pytest.fixture(scope="module", autouse=True)
def tiny_weights(tmp_path_factory: pytest.TempPathFactory):
    """Tiny nets under the shipped names, listed in SHA256SUMS as shipped files are; one thread,
    since these tensors are too small to gain from more."""
    folder = tmp_path_factory.mktemp("weights")
    for name, (net, meta) in _tiny_nets().items():
        save_weights(folder / f"{name}.safetensors", net, spec_of(net) | meta)
    sums = "".join(f"{sha256(f)}  {f.name}\n" for f in sorted(folder.glob("*.safetensors")))
    (folder / "SHA256SUMS").write_text(sums)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANAPPS_WEIGHTS", str(folder))
        yield folder
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def models() -> h.Models:
    return h.Models("cpu")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small inputs: a photo, a drawing, a 'photo' that is text, a painted layer (RGBA)."""
    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    photo = cv2.GaussianBlur(rng.integers(0, 256, (40, 56, 3), np.uint8), (5, 5), 0)
    drawing = np.full((64, 64, 3), 255, np.uint8)
    cv2.circle(drawing, (32, 32), 20, (0, 0, 0), 2)
    layer = np.zeros((40, 56, 4), np.uint8)
    cv2.circle(layer, (20, 20), 6, (255, 0, 255, 255), -1)
    out = {"photo": root / "photo.png", "drawing": root / "drawing.png", "layer": root / "layer.png", "text": root / "notes.png"}
    for key, pixels in (("photo", photo), ("drawing", drawing), ("layer", layer)):
        cv2.imwrite(str(out[key]), pixels)
    out["text"].write_text("not an image\n")
    return out


def _rgba(path: Path) -> np.ndarray:
    """A file as the image editor hands it over: RGBA uint8."""
    a = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    return cv2.cvtColor(a, cv2.COLOR_BGRA2RGBA if a.shape[2] == 4 else cv2.COLOR_BGR2RGBA)


# ---------------------------------------------------------------- handlers: plain Python, no Gradio
def test_handlers_give_images_of_the_expected_sizes(models: h.Models, files: dict[str, Path]) -> None:
    photo = _rgba(files["photo"])
    for task in h.PHOTO_TASKS:
        out, status = h.translate(models, str(files["photo"]), task)
        assert out.shape == (40, 56, 3) and "56×40 px" in status
    face, status = h.sketch(models, {"composite": _rgba(files["drawing"])[:, :, :3]})
    assert face.shape == (64, 64, 3) and "face drawn" in status
    filled, mask, status = h.inpaint(models, {"background": photo, "layers": [_rgba(files["layer"])]})
    assert filled.shape == (40, 56, 3) and mask.shape == (40, 56) and mask.max() == 255
    known = mask == 0
    assert (filled[known] == photo[:, :, :3][known]).all() and (filled[~known] != photo[:, :, :3][~known]).any()
    big, status = h.upscale(models, str(files["photo"]), 4, "srresnet")
    assert big.shape == (160, 224, 3) and "56×40 → 224×160 px" in status
    grid, status = h.generate(models, "dcgan-fashion", 3, 4)
    again, _ = h.generate(models, "dcgan-fashion", 3, 4)
    assert grid.ndim == 2 and (grid == again).all() and "4 samples, seed 3" in status


def test_models_load_once(models: h.Models) -> None:
    assert models.get("dcgan-fashion") is models.get("dcgan-fashion")
    assert models.runtime().startswith("CPU, ") and any(p in models.runtime() for p in ("fp32", "bf16"))


@pytest.mark.parametrize(
    "call, n_images, expected",
    [
        (lambda m, f: h.translate(m, str(f["text"]), "facades"), 1, "notes.png: not a recognised image file"),
        (lambda m, f: h.translate(m, None, "facades"), 1, "upload a photo first"),
        (lambda m, f: h.translate(m, str(f["photo"]), "cat2dog"), 1, "unknown translation 'cat2dog'"),
        (lambda m, f: h.sketch(m, {"composite": np.full((32, 32, 3), 255, np.uint8)}), 1, "the drawing is empty"),
        (lambda m, f: h.sketch(m, None), 1, "draw a face first"),
        (lambda m, f: h.inpaint(m, {"background": _rgba(f["photo"]), "layers": [_rgba(f["layer"])[:20]]}), 2,
         "the painted mask is 56×20 px but the photo is 56×40 px"),
        (lambda m, f: h.inpaint(m, {"background": _rgba(f["photo"]), "layers": []}), 2, "nothing painted"),
        (lambda m, f: h.upscale(m, str(f["photo"]), 2, "srgan"), 1, "no shipped srgan ×2 weights; this install has: x4 srgan"),
        (lambda m, f: h.generate(m, "dcgan-fashion", 0, 0), 1, "count between 1 and 256"),
        (lambda m, f: h.generate(m, "dcgan-fashion", 0.5, 4), 1, "whole numbers"),
    ],
)
def test_bad_inputs_are_one_line_messages(models: h.Models, files: dict[str, Path], call, n_images: int, expected: str) -> None:
    result = h.guarded(lambda: call(models, files), n_images)()
    assert result[:-1] == (None,) * n_images
    assert result[-1].startswith("error: ") and expected in result[-1] and "\n" not in result[-1]


def test_decompression_bomb_is_refused_before_decoding(models: h.Models, files: dict[str, Path], monkeypatch) -> None:
    monkeypatch.setenv("GANAPPS_MAX_PIXELS", "1000")  # the photo's 2,240 px stand for a 100k×100k PNG
    _, status = h.guarded(lambda: h.upscale(models, str(files["photo"]), 4, "srgan"), 1)()
    assert status == "error: photo.png: 56×40 is 2,240 px, over the 1,000 px limit (set GANAPPS_MAX_PIXELS to allow more)"


def test_unexpected_errors_are_one_line_too(capsys) -> None:
    def broken():
        raise KeyError("boom")

    assert h.guarded(broken, 1)() == (None, "error: KeyError: 'boom'")
    assert "Traceback" in capsys.readouterr().err  # for whoever runs the server


def test_cli_without_the_extra_says_how_to_get_it(monkeypatch) -> None:
    monkeypatch.setattr("ganapps.demo.gradio_available", lambda: False)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 2
    assert result.output.strip() == 'error: the demo needs Gradio: pip install -e ".[demo]" (or pip install "ganapps[demo]")'


# ------------------------------------------------------------------ the page, through gradio_client
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("gradio")
    from ganapps.demo.page import serve

    port = _free_port()
    page = serve("cpu", "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    page.close()


@pytest.fixture(scope="module")
def client(server: str):
    from gradio_client import Client

    return Client(server, verbose=False)


def _read(path: str) -> np.ndarray:
    return cv2.imread(path, cv2.IMREAD_UNCHANGED)


def test_every_endpoint_through_gradio_client(client, files: dict[str, Path]) -> None:
    from gradio_client import handle_file

    photo, drawing, layer = (handle_file(str(files[k])) for k in ("photo", "drawing", "layer"))
    out, status = client.predict(photo, "zebra2horse", api_name="/translate")
    assert _read(out).shape[:2] == (40, 56) and "zebra photo → horse" in status
    out, status = client.predict({"background": drawing, "layers": [], "composite": drawing}, api_name="/sketch")
    assert _read(out).shape[:2] == (64, 64) and "face drawn" in status
    filled, mask, status = client.predict({"background": photo, "layers": [layer], "composite": photo}, api_name="/inpaint")
    assert _read(filled).shape[:2] == _read(mask).shape[:2] == (40, 56) and "filled" in status
    assert not np.array_equal(_read(filled)[:, :, :3], cv2.imread(str(files["photo"])))
    out, status = client.predict(photo, "x4", "srgan", api_name="/upscale")
    assert _read(out).shape[:2] == (160, 224) and "×4 with srgan" in status
    out, status = client.predict("dcgan-fashion", 1, 9, api_name="/generate")
    assert _read(out).shape[:2] == (92, 92) and "9 samples" in status  # 3×3 tiles of 28 px, 2 px gaps


def test_a_bad_upload_returns_the_message_and_the_server_keeps_serving(client, files: dict[str, Path]) -> None:
    from gradio_client import handle_file

    out, status = client.predict(handle_file(str(files["text"])), "facades", api_name="/translate")
    assert out is None and status == "error: notes.png: not a recognised image file"
    out, status = client.predict(handle_file(str(files["photo"])), "facades", api_name="/translate")
    assert out is not None and status.startswith("facade label map → photo")


def test_the_page_states_device_and_precision_and_binds_localhost(server: str) -> None:
    import json
    import urllib.request

    with urllib.request.urlopen(server + "config") as r:
        config = json.load(r)
    text = json.dumps(config)
    assert "Running on **CPU, 1 thread," in text and config.get("analytics_enabled") is False
    assert server.startswith("http://127.0.0.1:")


def test_the_page_in_a_browser_shows_every_tab(server: str, tmp_path: Path) -> None:
    """Headless Chromium (the OS package) driven by Playwright; skipped where either is missing."""
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium browser installed")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_default_timeout(120_000)  # a busy CI machine; the page itself renders in a second
        page.goto(server)
        for tab in ("Translate", "Drawing → face", "Inpaint", "Upscale", "Generate"):
            page.get_by_role("tab", name=tab).wait_for()
        assert "Running on" in page.content()
        browser.close()


def test_lesson_tab_trains_the_toy_gan_and_redraws_the_curve_as_it_goes() -> None:
    frames = list(h.lesson(20, 0, every=5))
    assert len(frames) == 4  # epochs 5, 10, 15, 20
    curve, faces, status = frames[-1]
    assert curve.ndim == 3 and curve.shape[2] == 3 and faces.ndim == 3
    assert status.startswith("epoch 20/20") and "last 10 epochs" in status
    assert "last" not in frames[0][2]
