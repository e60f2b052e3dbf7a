"""The foundation's CLI through typer's test runner: generate, models, info, export, train, eval."""
from __future__ import annotations

import json
import re

import cv2
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.core.checkpoint import save_weights
from ganapps.nets import spec_of
from ganapps.nets.classifier import SmallClassifier
from ganapps.pipelines.base import load_net

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_generate_grid_and_folder(tmp_path, dcgan_weights):
    grid = tmp_path / "grid.png"
    r = invoke("generate", "--model", dcgan_weights, "-n", 9, "--seed", 3, "-o", grid)
    assert r.exit_code == 0, r.output
    img = cv2.imread(str(grid), cv2.IMREAD_UNCHANGED)
    assert img.shape == (3 * 30 + 2, 3 * 30 + 2)  # 3×3 gray tiles of 28 px with 2 px gaps

    out = tmp_path / "samples"
    r = invoke("generate", "--model", dcgan_weights, "-n", 5, "--seed", 3, "--out-dir", out)
    assert r.exit_code == 0, r.output
    files = sorted(out.glob("*.png"))
    assert len(files) == 5 and cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED).shape == (28, 28)
    # Same seed, same images: the grid's first tile is the first sample.
    assert np.array_equal(img[2:30, 2:30], cv2.imread(str(files[0]), cv2.IMREAD_UNCHANGED))


def test_generate_usage_errors_are_one_line(tmp_path, dcgan_weights):
    r = invoke("generate", "--model", dcgan_weights, "-n", 4)
    assert r.exit_code == 2 and "exactly one of" in r.output
    r = invoke("generate", "--model", "dcgan-fashon", "-o", tmp_path / "g.png")
    assert r.exit_code == 2 and "did you mean 'dcgan-fashion'" in r.output
    assert "Traceback" not in r.output


def test_pickle_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, bad)
    r = invoke("generate", "--model", bad, "-o", tmp_path / "g.png")
    assert r.exit_code == 1 and f"{bad}: a PyTorch pickle file" in r.output and "unpickling can run code" in r.output
    assert not (tmp_path / "g.png").exists()


def test_models_and_info(tmp_path, monkeypatch):
    monkeypatch.setenv("GANAPPS_WEIGHTS", str(tmp_path))
    r = invoke("models")
    assert r.exit_code == 0 and "dcgan-fashion" in r.output and "missing" in r.output
    r = invoke("info")
    assert r.exit_code == 0 and torch.__version__ in r.output and "--precision auto runs" in r.output


@pytest.mark.parametrize("flags, features, auto", [
    ("fpu sse avx2 avx512f avx512_vnni", ("avx512_vnni", "avx2"), None),  # VNNI alone: fp32 (or int8) machine
    ("fpu avx2 avx512f avx512_vnni avx512_bf16", ("avx512_bf16", "avx512_vnni", "avx2"), torch.bfloat16),  # Zen 4
    ("fpu avx2 avx512_bf16 amx_tile amx_bf16", ("amx_bf16", "avx512_bf16", "avx2"), torch.bfloat16),  # Sapphire Rapids
])
def test_cpu_features_decide_auto_precision(monkeypatch, tmp_path, flags, features, auto) -> None:
    import ganapps.core.device as device

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"flags\t\t: {flags}\n")
    real_path = device.Path
    monkeypatch.setattr(device, "Path", lambda p: cpuinfo if p == "/proc/cpuinfo" else real_path(p))
    device.cpu_features.cache_clear(), device.cpu_has_native_bf16.cache_clear()
    try:
        assert device.cpu_features() == features
        assert device.autocast_dtype(torch.device("cpu"), "auto") == auto
    finally:
        device.cpu_features.cache_clear(), device.cpu_has_native_bf16.cache_clear()


def test_export_onnx_matches_pytorch(tmp_path, dcgan_weights):
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "g.onnx"
    r = invoke("export", dcgan_weights, "--format", "onnx", "-o", out)
    assert r.exit_code == 0, r.output
    net, _ = load_net(dcgan_weights)
    z = np.random.default_rng(0).standard_normal((7, 16)).astype(np.float32)  # batch is dynamic
    got = ort.InferenceSession(str(out)).run(None, {"input": z})[0]
    want = net(torch.from_numpy(z)).detach().numpy()
    assert got.shape == (7, 1, 28, 28) and np.abs(got - want).max() < 1e-4


def test_export_torchscript(tmp_path, dcgan_weights):
    out = tmp_path / "g.pt"
    assert invoke("export", dcgan_weights, "--format", "torchscript", "-o", out).exit_code == 0
    scripted = torch.jit.load(str(out))
    net, _ = load_net(dcgan_weights)
    z = torch.randn(3, 16)
    assert torch.allclose(scripted(z), net(z), atol=1e-6)


def test_train_dcgan_then_resume_then_generate(tmp_path, idx_data):
    run = tmp_path / "run"
    args = ["train", "dcgan", "--data", idx_data, "--out", run, "--batch-size", 32, "--precision", "fp32"]
    r = invoke(*args, "--iters", 3)
    assert r.exit_code == 0, r.output
    for name in ("checkpoint.safetensors", "metrics.jsonl", "run.json", "samples/epoch_000.png"):
        assert (run / name).exists(), name
    r = invoke(*args, "--iters", 3)
    assert r.exit_code == 1 and "--resume" in r.output  # never clobbers a run
    r = invoke(*args, "--iters", 16, "--resume")  # 16 steps = 2 epochs of 8
    assert r.exit_code == 0, r.output
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["step"] == 16 and {"d_loss", "g_loss", "d_acc_real", "d_acc_fake", "img_s"} <= records[-1].keys()
    for name in ("curves.png", "training.gif", "generator.safetensors", "samples/epoch_002.png"):
        assert (run / name).exists(), name
    r = invoke("generate", "--model", run / "generator.safetensors", "-n", 4, "-o", tmp_path / "g.png")
    assert r.exit_code == 0, r.output


def test_train_rejects_missing_data(tmp_path):
    r = invoke("train", "dcgan", "--data", tmp_path / "nope", "--out", tmp_path / "run", "--iters", 1)
    assert r.exit_code == 1 and "no such data folder" in r.output


def test_eval_generate_reports_fid_and_histogram(tmp_path, idx_data, dcgan_weights):
    clf = SmallClassifier().eval()
    clf_path = tmp_path / "clf.safetensors"
    save_weights(clf_path, clf, spec_of(clf) | {"task": "classify", "classes": [f"c{i}" for i in range(10)]})
    r = invoke("eval", "generate", "--model", dcgan_weights, "--data", idx_data, "--classifier", clf_path, "-n", 200)
    assert r.exit_code == 0, r.output
    assert not re.search(r"\bnan\b", r.output, re.I), r.output  # every figure a number
    assert "FID" in r.output and "real test (floor)" in r.output and "c9" in r.output


def test_api_load_gives_generate_and_upscale_models_their_pipelines(tmp_path, dcgan_weights):
    from ganapps.api import load
    from ganapps.data.io import Image
    from ganapps.nets.srresnet import SRResNet, SRResNetConfig

    gen = load(dcgan_weights)
    images = gen(3, seed=5)
    assert gen.task == "generate" and images.shape == (3, 28, 28, 1) and images.dtype == np.uint8
    assert np.array_equal(images, load(dcgan_weights)(3, seed=5)), "the same seed, the same images"

    torch.manual_seed(0)
    net = SRResNet(SRResNetConfig(scale=2, num_feat=8, num_block=1))
    save_weights(tmp_path / "sr.safetensors", net, spec_of(net) | {"task": "upscale", "scale": 2})
    sr = load(tmp_path / "sr.safetensors")
    out = sr(Image(np.random.default_rng(0).random((10, 12, 3), dtype=np.float32)))
    assert sr.task == "upscale" and sr.scale == 2 and out.size == (20, 24)


@pytest.mark.parametrize("device, message", [("tpu", "not a device name"), ("mps", "no MPS"), ("cuda:7", "available: cpu")])
def test_a_device_this_machine_lacks_is_one_line_listing_those_it_has(tmp_path, dcgan_weights, device, message):
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("the machine has a GPU")
    r = invoke("generate", "--model", dcgan_weights, "-n", 2, "-o", tmp_path / "g.png", "--device", device)
    assert r.exit_code == 1 and message in r.output and r.output.strip().count("\n") == 0, r.output
    assert not (tmp_path / "g.png").exists()
