"""Safetensors weights and training state: round trips, atomicity, integrity of shipped files."""
from __future__ import annotations

import hashlib
import json
import random

import numpy as np
import pytest
import torch

from ganapps.core import checkpoint
from ganapps.core.checkpoint import CheckpointError, load_state, read_metadata, save_state, save_weights
from ganapps.nets import build, spec_of
from ganapps.nets.dcgan import DCGANGenerator, DCGANGeneratorConfig
from ganapps.pipelines.base import load_net
from ganapps.weights import CorruptWeights, resolve


def test_weights_metadata_rebuilds_the_architecture(tmp_path):
    g = DCGANGenerator(DCGANGeneratorConfig(nz=12, ngf=4, channels=3))
    path = tmp_path / "g.safetensors"
    save_weights(path, g, spec_of(g) | {"task": "generate", "note": "x"})
    meta = read_metadata(path)
    assert meta["arch"] == "dcgan_generator" and meta["config"]["nz"] == 12 and meta["note"] == "x"
    rebuilt, _ = load_net(path)
    assert rebuilt.config == g.config
    z = torch.randn(2, 12)
    assert torch.equal(rebuilt(z), g.eval()(z))


def test_fp16_weights_load_as_float32(tmp_path):
    g = DCGANGenerator(DCGANGeneratorConfig(nz=8, ngf=4))
    path = tmp_path / "g16.safetensors"
    save_weights(path, g, spec_of(g) | {"task": "generate"}, dtype=torch.float16)
    net, _ = load_net(path)
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert torch.allclose(net.net[0].weight, g.net[0].weight, atol=1e-3)


def test_mismatched_tensors_name_the_first_offender(tmp_path):
    g = DCGANGenerator(DCGANGeneratorConfig(nz=8, ngf=4))
    path = tmp_path / "g.safetensors"
    wrong = spec_of(g) | {"task": "generate"}
    wrong["config"] = dict(wrong["config"], ngf=8)  # metadata says a wider net than the tensors
    save_weights(path, g, wrong)
    with pytest.raises(CheckpointError, match="net.0.weight.*shape"):
        load_net(path)


def test_unknown_architecture_is_an_error():
    with pytest.raises(ValueError, match="unknown architecture"):
        build("stylegan9", {})


def test_training_state_round_trip_without_pickle(tmp_path):
    opt = torch.optim.Adam([torch.nn.Parameter(torch.randn(3))], betas=(0.5, 0.999))
    opt.param_groups[0]["params"][0].grad = torch.ones(3)
    opt.step()
    state = {
        "step": 7,
        "opt": opt.state_dict(),
        "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()},
        "nested": [1, 2.5, None, "s", (True, {3: "int key"})],
    }
    path = tmp_path / "state.safetensors"
    save_state(path, state)
    back = load_state(path)
    assert back["step"] == 7 and back["nested"] == [1, 2.5, None, "s", (True, {3: "int key"})]
    assert torch.equal(back["opt"]["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert back["opt"]["param_groups"][0]["betas"] == (0.5, 0.999)
    random.setstate(back["rng"]["python"])
    np.random.set_state(back["rng"]["numpy"])
    torch.set_rng_state(back["rng"]["torch"])
    data = path.read_bytes()  # a safetensors file (8-byte header length, JSON header), not a pickle
    header = int.from_bytes(data[:8], "little")
    assert "ganapps_state" in json.loads(data[8 : 8 + header])["__metadata__"]


def test_interrupted_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "state.safetensors"
    save_state(path, {"step": 1})

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_state(path, {"step": 2})
    monkeypatch.undo()
    assert load_state(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["state.safetensors"], "no temp file left behind"


def test_shipped_weights_are_verified(tmp_path, monkeypatch):
    monkeypatch.setenv("GANAPPS_WEIGHTS", str(tmp_path))
    g = DCGANGenerator(DCGANGeneratorConfig(nz=8, ngf=4))
    path = tmp_path / "dcgan-fashion.safetensors"
    save_weights(path, g, spec_of(g) | {"task": "generate"})
    with pytest.raises(CorruptWeights, match="not listed"):
        resolve("dcgan-fashion")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{digest}  dcgan-fashion.safetensors\n")
    assert resolve("dcgan-fashion") == path
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptWeights, match="sha256 does not match"):
        resolve("dcgan-fashion")
