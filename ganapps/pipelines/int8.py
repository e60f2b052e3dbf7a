"""int8 inference for CPUs without native bf16, through ONNX Runtime's static post-training quantization.

On a CPU with AVX-512 VNNI but neither AMX nor AVX512-BF16, bf16 is emulated (slower than fp32) and our fp32 generator
already runs near the fp32 matmul peak: only fewer bits can go faster, and VNNI executes int8 dot
products at four times the fp32 rate per instruction. ONNX Runtime is the engine: its CPU provider
has VNNI int8 convolution kernels on every x86 CPU since Cascade Lake, and its quantizer does
static calibration in a few lines.

What is quantized, and why: the convolutions only (weights int8 per output channel, activations
uint8 with ranges calibrated on a few images); instance norm, the activations between and the
network's last convolution stay in float, because the normalisation divides by a per-image
statistic that int8 would coarsen, and the last layer writes the pixels the user sees. How close
the result stays to fp32 is measured by :func:`psnr_to_float` on the same images. First figure
(AMX CPU, the shipped zebra2horse, calibrated on 8 smooth synthetic 128-px images, scored on 4
others): 46.8 dB from fp32. ``--precision int8`` on ``translate`` and ``upscale`` uses it.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

INSTALL_HINT = 'int8 inference needs ONNX Runtime, an optional extra: pip install "ganapps[onnx]"'


def available() -> bool:
    """Whether the int8 engine (onnx + onnxruntime) is installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def _export(net: nn.Module, example: Tensor, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notes
        torch.onnx.export(
            net, (example,), str(path), dynamo=False, opset_version=17, input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}, "output": {0: "batch", 2: "height", 3: "width"}},
        )


def quantize(net: nn.Module, calibration: list[Tensor], path: str | Path) -> Path:
    """Write ``net`` (an image-to-image generator, float, on the CPU) as an int8 ONNX model at
    ``path``, its activation ranges calibrated on ``calibration`` (N×3×H×W batches in [-1, 1])."""
    if not available():
        raise RuntimeError(INSTALL_HINT)
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(calibration)

        def get_next(self) -> dict | None:
            x = next(self.items, None)
            return None if x is None else {"input": x.float().numpy()}

    path = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        _export(net.eval(), calibration[0][:1], fp32)
        convs = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "Conv"]
        root = logging.getLogger()
        level, root.level = root.level, logging.ERROR  # the quantizer's advice goes to the root logger
        try:
            quantize_static(
                str(fp32), str(path), Batches(), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"],
                nodes_to_exclude=convs[-1:],  # the layer that writes the pixels stays float
            )
        finally:
            root.level = level
    return path


class Int8Net(nn.Module):
    """An int8 ONNX model behind a float module's interface: ``net(x)`` with x N×3×H×W float."""

    def __init__(self, path: str | Path, threads: int | None = None):
        super().__init__()
        if not available():
            raise RuntimeError(INSTALL_HINT)
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def forward(self, x: Tensor) -> Tensor:
        out = self.session.run(None, {"input": x.detach().float().contiguous().cpu().numpy()})[0]
        return torch.from_numpy(out)


@torch.inference_mode()
def psnr_to_float(net: nn.Module, int8: nn.Module, images: list[Tensor]) -> float:
    """PSNR (dB, peak-to-peak 2 for [-1, 1] images) of the int8 outputs against the float ones."""
    errors = [(int8(x).float().clamp(-1, 1) - net(x).float().clamp(-1, 1)).square().mean().item() for x in images]
    mse = sum(errors) / len(errors)
    return math.inf if mse == 0 else 10 * math.log10(4.0 / mse)


def calibration_images(n: int, size: int, seed: int = 0) -> list[Tensor]:
    """``n`` smooth random ``size``-px images in [-1, 1]: photo-like statistics (blurred noise, full
    range) without shipping photos. Measured on the shipped zebra2horse: calibrated on these, the
    int8 model is 45.0 dB from fp32 on 24 real test zebras; calibrated on 8 real training zebras,
    43.2 dB."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        im = cv2.GaussianBlur(rng.random((size, size, 3)).astype(np.float32), (0, 0), max(1.0, size / 40))
        images.append(torch.from_numpy((im - im.min()) / (im.max() - im.min()) * 2 - 1).permute(2, 0, 1)[None])
    return images


def cache_dir() -> Path:
    """Where quantized models are kept between runs: ``$GANAPPS_CACHE``, else ``~/.cache/ganapps``."""
    return Path(os.environ.get("GANAPPS_CACHE") or Path.home() / ".cache" / "ganapps")


QUALITY_BAR = 40.0  # dB from fp32 on the check images: below it, ``auto`` stays in float


def prefers_int8() -> bool:
    """Whether ``--precision auto`` should try int8 here: a CPU with VNNI (int8 dot products) but no
    native bf16 (AMX or AVX512-BF16, faster still or close: see ``core/device.py``), and the engine installed."""
    from ganapps.core.device import cpu_features, cpu_has_native_bf16

    features = cpu_features()
    return not cpu_has_native_bf16() and ("avx512_vnni" in features or "avx_vnni" in features) and available()


def int8_version(net: nn.Module, weights: str | Path, size: int) -> Int8Net:
    """The int8 twin of ``net`` (loaded from ``weights``), quantized once per weights file and
    calibration size and then read from :func:`cache_dir`, with its quality check: the PSNR to
    fp32 on 4 other images (``check_psnr``, kept next to the model). It carries ``net``'s geometry
    (``stride``, ``min_side``, ``scale``) so the pipelines pad and tile it the same way."""
    from ganapps.weights import sha256

    path = cache_dir() / "int8" / f"{sha256(Path(weights))[:16]}-{size}.onnx"
    check = path.with_suffix(".json")
    if not path.exists() or not check.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            quantize(net, calibration_images(8, size), tmp)
            psnr = psnr_to_float(net, Int8Net(tmp), calibration_images(4, size, seed=1))
            os.replace(tmp, path)
            check.write_text(json.dumps({"psnr_to_fp32": psnr}))
        finally:
            tmp.unlink(missing_ok=True)
    twin = Int8Net(path)
    twin.check_psnr = float(json.loads(check.read_text())["psnr_to_fp32"])
    for name in ("stride", "min_side", "scale"):
        if hasattr(net, name):
            setattr(twin, name, getattr(net, name))
    return twin
