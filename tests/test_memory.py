"""Memory asked for is checked before it is allocated: one line that says what to change."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import ganapps.pipelines.memory as memory
from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.nets import spec_of
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from ganapps.nets.srresnet import SRResNet, SRResNetConfig

pytestmark = pytest.mark.usefixtures("one_thread")
runner = CliRunner()


def test_available_memory_is_what_the_machine_reports() -> None:
    free = memory.available_bytes(torch.device("cpu"))
    total = int(Path("/proc/meminfo").read_text().split()[1]) * 1024 if Path("/proc/meminfo").exists() else None
    assert free is not None and free > 0 and (total is None or free <= total)


def test_the_budget_is_the_largest_activation_per_pixel() -> None:
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Conv2d(8, 2, 3, padding=1))
    assert memory.ActivationBudget(net, 3, None).per_pixel() == 8 * 4  # 8 float32 channels
    assert memory.ActivationBudget(net, 3, torch.bfloat16).per_pixel() == 8 * 2


def _photo(path: Path, h: int = 20, w: int = 24) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8))
    return path


def test_translate_at_an_impossible_size_is_refused_in_one_line(tmp_path: Path) -> None:
    torch.manual_seed(0)
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1))
    model = tmp_path / "g.safetensors"
    save_weights(model, g, spec_of(g) | {"task": "translate", "model": "cyclegan", "image_size": 16, "input": "photo"})
    photo = _photo(tmp_path / "cat.png")
    r = runner.invoke(app, ["translate", str(photo), "-o", str(tmp_path / "out.png"), "--model", str(model), "--size", "100000"])
    assert r.exit_code == 1 and "of memory" in r.output and "use a smaller --size" in r.output
    assert "allocate" not in r.output and "Traceback" not in r.output and not (tmp_path / "out.png").exists()


def test_upscale_without_tiles_beyond_free_memory_is_refused_and_tiles_run(tmp_path: Path, monkeypatch) -> None:
    torch.manual_seed(0)
    net = SRResNet(SRResNetConfig(scale=2, num_feat=8, num_block=1))
    model = tmp_path / "sr.safetensors"
    save_weights(model, net, spec_of(net) | {"task": "upscale", "scale": 2})
    photo = _photo(tmp_path / "in.png", 96, 96)
    # 96×96 at once: 2 × 32 channels × 4 B × 9,216 px ≈ 2.4 MB; 16-px tiles (+8 overlap each side) need 0.1 MB
    monkeypatch.setattr(memory, "available_bytes", lambda device: 1_000_000)
    r = runner.invoke(app, ["upscale", "x2", str(photo), "-o", str(tmp_path / "whole.png"), "--model", str(model), "--tile", "0"])
    assert r.exit_code == 1 and "96×96 px at once needs about" in r.output and "use tiles" in r.output
    assert not (tmp_path / "whole.png").exists()
    r = runner.invoke(app, ["upscale", "x2", str(photo), "-o", str(tmp_path / "tiled.png"), "--model", str(model),
                            "--tile", "16", "--tile-overlap", "8"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert cv2.imread(str(tmp_path / "tiled.png")).shape == (192, 192, 3)
