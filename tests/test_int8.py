"""int8 inference through ONNX Runtime: close to fp32 on a generator, a clear line without the engine."""
from __future__ import annotations

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
