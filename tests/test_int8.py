"""int8 inference through ONNX Runtime: close to fp32 on a generator, a clear line without the engine."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

import ganapps.pipelines.int8 as int8
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig

pytestmark = pytest.mark.usefixtures("one_thread")


def _photos(n: int, size: int, seed: int) -> list[torch.Tensor]:
    """Smooth random images, a photo's kind of statistics rather than white noise."""
    rng = np.random.default_rng(seed)
    images = [cv2.GaussianBlur(rng.random((size, size, 3)).astype(np.float32), (0, 0), 3) for _ in range(n)]
    return [torch.from_numpy((im - im.min()) / (im.max() - im.min()) * 2 - 1).permute(2, 0, 1)[None] for im in images]


@pytest.mark.skipif(not int8.available(), reason="needs the onnx extra")
def test_a_quantized_generator_stays_close_to_float_on_new_images(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = ResNetGenerator(ResNetGeneratorConfig(ngf=8, n_blocks=2)).eval()
    path = int8.quantize(net, _photos(8, 32, seed=0), tmp_path / "g.int8.onnx")
    quantized = int8.Int8Net(path, threads=1)
    unseen = _photos(4, 40, seed=1)  # another size and other images than the calibration's
    assert quantized(unseen[0]).shape == net(unseen[0]).shape
    psnr = int8.psnr_to_float(net, quantized, unseen)
    assert 30 < psnr < 80, psnr  # close, and really int8 (not the float graph by mistake)
    import onnx

    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "QuantizeLinear" in ops and "InstanceNormalization" in ops  # norms stay float


def test_without_the_engine_int8_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setattr(int8, "available", lambda: False)
    with pytest.raises(RuntimeError, match=r'pip install "ganapps\[onnx\]"'):
        int8.Int8Net("model.onnx")


@pytest.mark.skipif(not int8.available(), reason="needs the onnx extra")
def test_translate_and_upscale_run_in_int8_close_to_fp32_and_reuse_the_quantized_model(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from ganapps.cli import app
    from ganapps.core.checkpoint import save_weights
    from ganapps.data.io import read_image
    from ganapps.nets import spec_of
    from ganapps.nets.srresnet import SRResNet, SRResNetConfig

    monkeypatch.setenv("GANAPPS_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=8, n_blocks=2))
    save_weights(tmp_path / "g.safetensors", g, spec_of(g) | {"task": "translate", "model": "cyclegan", "image_size": 32})
    sr = SRResNet(SRResNetConfig(scale=2, num_feat=8, num_block=1))
    save_weights(tmp_path / "sr.safetensors", sr, spec_of(sr) | {"task": "upscale", "scale": 2})
    photo = tmp_path / "in.png"
    cv2.imwrite(str(photo), ((_photos(1, 40, seed=3)[0][0].permute(1, 2, 0).numpy() + 1) * 127.5).astype(np.uint8))
    runner = CliRunner()
    for command, model in ((["translate"], "g"), (["upscale", "x2"], "sr")):
        outs = {}
        for precision in ("fp32", "int8", "int8"):  # the second int8 run reads the cached model
            out = tmp_path / f"{model}-{precision}.png"
            r = runner.invoke(app, [*command, str(photo), "-o", str(out), "--model", str(tmp_path / f"{model}.safetensors"),
                                    "--precision", precision, "--device", "cpu", "--overwrite"])  # fmt: skip
            assert r.exit_code == 0, r.output
            outs[precision] = read_image(out).rgb
        mse = float(np.mean((outs["int8"] - outs["fp32"]) ** 2))
        assert 10 * np.log10(1 / max(mse, 1e-12)) > 30, (model, mse)
    assert len(list((tmp_path / "cache" / "int8").glob("*.onnx"))) == 2  # one per model, reused


def test_int8_on_a_gpu_or_without_the_engine_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from ganapps.cli import app

    monkeypatch.setattr(int8, "available", lambda: False)
    r = CliRunner().invoke(app, ["translate", "x.png", "-o", str(tmp_path / "o"), "--task", "horse2zebra", "--precision", "int8"])
    assert r.exit_code == 2 and 'pip install "ganapps[onnx]"' in r.output


@pytest.mark.skipif(not int8.available(), reason="needs the onnx extra")
@pytest.mark.parametrize("bar, picks_int8", [(30.0, True), (80.0, False)])
def test_auto_takes_int8_on_a_vnni_cpu_without_amx_only_when_its_check_passes(tmp_path: Path, monkeypatch, bar, picks_int8) -> None:
    import ganapps.core.device as device
    from ganapps.core.checkpoint import save_weights
    from ganapps.nets import spec_of
    from ganapps.pipelines.translate import TranslatePipeline

    monkeypatch.setenv("GANAPPS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    monkeypatch.setattr(device, "cpu_features", lambda: ("avx512_vnni", "avx2"))
    monkeypatch.setattr(int8, "QUALITY_BAR", bar)
    torch.manual_seed(0)
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=8, n_blocks=2))
    save_weights(tmp_path / "g.safetensors", g, spec_of(g) | {"task": "translate", "model": "cyclegan", "image_size": 32})
    pipe = TranslatePipeline(tmp_path / "g.safetensors", precision="auto")
    assert isinstance(pipe.net, int8.Int8Net) == picks_int8 and pipe.dtype is None
    assert 30 < json.loads(next((tmp_path / "cache" / "int8").glob("*.json")).read_text())["psnr_to_fp32"] < 80
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)  # a CPU with native bf16 keeps bf16
    assert not isinstance(TranslatePipeline(tmp_path / "g.safetensors", precision="auto").net, int8.Int8Net)


def test_inpaint_takes_precision_but_not_int8_yet(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ganapps.cli import app

    r = CliRunner().invoke(app, ["inpaint", "x.png", "--random-mask", "-o", str(tmp_path / "o"), "--precision", "int8"])
    assert r.exit_code == 2 and "not available for this command yet" in r.output
