"""``ganapps export`` for every generator type: ONNX Runtime and TorchScript agree with PyTorch at a
batch size and an image size other than the ones traced (dynamic batch, height and width), and
carry the weights file's metadata."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.core.checkpoint import read_metadata, save_weights
from ganapps.nets import spec_of
from ganapps.nets.dcgan import DCGANGenerator, DCGANGeneratorConfig
from ganapps.nets.inpaint_net import InpaintGenerator, InpaintGeneratorConfig
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from ganapps.nets.rrdbnet import RRDBNet, RRDBNetConfig
from ganapps.nets.srresnet import SRResNet, SRResNetConfig
from ganapps.nets.unet import UNetGenerator, UNetGeneratorConfig

runner = CliRunner()

GENERATORS = {
    # name: (tiny net, task metadata, an input unlike the traced example)
    "dcgan": (lambda: DCGANGenerator(DCGANGeneratorConfig(nz=8, ngf=4)), "generate", (2, 8)),
    "resnet": (lambda: ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1)), "translate", (2, 3, 40, 28)),
    "unet": (lambda: UNetGenerator(UNetGeneratorConfig(ngf=4, num_downs=5)), "translate", (2, 3, 64, 96)),
    "srresnet": (lambda: SRResNet(SRResNetConfig(num_feat=8, num_block=1)), "upscale", (2, 3, 12, 10)),
    "rrdbnet": (lambda: RRDBNet(RRDBNetConfig(num_feat=8, num_block=1, num_grow_ch=4)), "upscale", (2, 3, 12, 10)),
    "inpaint": (lambda: InpaintGenerator(InpaintGeneratorConfig(width=4)), "inpaint", (2, 4, 21, 18)),
}


def _weights(tmp_path: Path, name: str) -> tuple[Path, torch.nn.Module, torch.Tensor]:
    build, task, shape = GENERATORS[name]
    torch.manual_seed(0)
    net = build().eval()
    path = tmp_path / f"{name}.safetensors"
    needs = {"translate": {"model": "cyclegan", "image_size": 16}, "upscale": {"scale": getattr(net, "scale", 2)},
             "inpaint": {"image_size": 16}}  # what each task's metadata must say (core/metadata.py)
    save_weights(path, net, spec_of(net) | {"task": task} | needs.get(task, {}))
    return path, net, torch.rand(shape, generator=torch.Generator().manual_seed(1)) * 2 - 1


@pytest.mark.parametrize("name", GENERATORS)
def test_onnx_export_matches_pytorch_at_new_sizes(tmp_path: Path, name: str):
    ort = pytest.importorskip("onnxruntime")
    path, net, x = _weights(tmp_path, name)
    out = tmp_path / f"{name}.onnx"
    r = runner.invoke(app, ["export", str(path), "--format", "onnx", "-o", str(out)])
    assert r.exit_code == 0, r.output
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})[0]
    with torch.no_grad():
        want = net(x).numpy()
    assert got.shape == want.shape and np.abs(got - want).max() < 1e-4
    meta = json.loads(session.get_modelmeta().custom_metadata_map["ganapps"])
    assert meta["arch"] == read_metadata(path)["arch"] and meta["task"] == read_metadata(path)["task"]


@pytest.mark.parametrize("name", GENERATORS)
def test_torchscript_export_matches_pytorch_at_new_sizes(tmp_path: Path, name: str):
    path, net, x = _weights(tmp_path, name)
    out = tmp_path / f"{name}.pt"
    r = runner.invoke(app, ["export", str(path), "--format", "torchscript", "-o", str(out)])
    assert r.exit_code == 0, r.output
    extra = {"ganapps.json": ""}
    with torch.no_grad():
        got, want = torch.jit.load(str(out), _extra_files=extra)(x), net(x)
    assert got.shape == want.shape and (got - want).abs().max() < 1e-5
    assert json.loads(extra["ganapps.json"])["config"] == read_metadata(path)["config"]


def test_onnx_export_without_the_onnx_extra_names_the_extra(tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    path, _, _ = _weights(tmp_path, "srresnet")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnx" else real_find_spec(name, *a))
    r = runner.invoke(app, ["export", str(path), "--format", "onnx", "-o", str(tmp_path / "m.onnx")])
    assert r.exit_code == 1 and 'pip install "ganapps[onnx]"' in r.output and not (tmp_path / "m.onnx").exists()
