"""Inference speed of each pipeline, through the code the CLI runs, with randomly initialised nets
(random weights cost exactly what trained ones do).

* **End to end**: load the weights file, then decode → infer → encode a folder of N images with
  :func:`ganapps.pipelines.files.run_batch` (what ``ganapps translate/upscale/inpaint`` do after
  parsing their options; ``generate`` writes one PNG per sample as ``--out-dir`` does). Images/s
  is N over the whole time, the model load included once.
* **Model only**: the generator's forward pass on one input (DCGAN: a batch), in the pipeline's
  own layout and precision; ms per image.
* **GFLOP/s**: the forward's FLOPs (``torch.utils.flop_counter``) over its time, and that as a
  share of the measured fp32 matmul peak (bf16 on AMX can exceed 100%: its peak is ~6× fp32's).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np
import torch
from torch import nn

from ganapps.core.checkpoint import save_weights
from ganapps.core.device import autocast
from ganapps.core.logging import write_png
from ganapps.nets import spec_of
from ganapps.nets.dcgan import DCGANGenerator, DCGANGeneratorConfig
from ganapps.nets.inpaint_net import InpaintGenerator, InpaintGeneratorConfig
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from ganapps.nets.srresnet import SRResNet, SRResNetConfig
from ganapps.pipelines.files import plan_outputs, run_batch
from ganapps.pipelines.generate import GeneratePipeline
from ganapps.pipelines.inpaint import InpaintPipeline, demo_mask
from ganapps.pipelines.translate import TranslatePipeline
from ganapps.pipelines.upscale import UpscalePipeline
from timing import gflop, median_seconds


PRECISION_NAMES = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}


@dataclass(frozen=True)
class Case:
    name: str
    net: str
    build: Callable[[], nn.Module]
    meta: dict[str, Any]  # weights metadata: what the pipeline reads besides the architecture
    side: int  # input image side (generate: unused)
    images: int  # N of the end-to-end run
    batch: int = 1  # model-only batch
    reference: str | None = None  # key of the reference figure this row is compared with


def cases(quick: bool) -> list[Case]:
    """The issue's configurations: translate 256 px (the reference's CycleGAN test config), ×4 from
    256 px, inpaint 128 and 256 px, DCGAN; ``quick``: the same code paths on toy sizes."""
    if quick:
        return [
            Case("translate 64 px", "ResNet-2, ngf 8", lambda: ResNetGenerator(ResNetGeneratorConfig(ngf=8, n_blocks=2)),
                 {"task": "translate", "model": "cyclegan", "image_size": 64}, 64, 3, reference="translate_256"),
            Case("upscale ×4 from 32 px", "SRResNet 2×16", lambda: SRResNet(SRResNetConfig(num_feat=16, num_block=2)),
                 {"task": "upscale", "scale": 4}, 32, 2),
            Case("inpaint 32 px", "gated conv, width 8", lambda: InpaintGenerator(InpaintGeneratorConfig(width=8)),
                 {"task": "inpaint", "image_size": 32}, 32, 3),
            Case("generate 28 px", "DCGAN G, ngf 8", lambda: DCGANGenerator(DCGANGeneratorConfig(nz=16, ngf=8)),
                 {"task": "generate"}, 28, 16, batch=8),
        ]  # fmt: skip
    inpaint = lambda: InpaintGenerator(InpaintGeneratorConfig())  # noqa: E731
    return [
        Case("translate 256 px", "ResNet-9, ngf 64", lambda: ResNetGenerator(ResNetGeneratorConfig(ngf=64, n_blocks=9)),
             {"task": "translate", "model": "cyclegan", "image_size": 256}, 256, 16, reference="translate_256"),
        Case("upscale ×4 from 256 px", "SRResNet 16×64", lambda: SRResNet(SRResNetConfig(num_feat=64, num_block=16)),
             {"task": "upscale", "scale": 4}, 256, 4),
        Case("inpaint 128 px", "gated conv, width 32", inpaint, {"task": "inpaint", "image_size": 128}, 128, 16),
        Case("inpaint 256 px", "gated conv, width 32", inpaint, {"task": "inpaint", "image_size": 256}, 256, 16),
        Case("generate 28 px", "DCGAN G, ngf 64", lambda: DCGANGenerator(DCGANGeneratorConfig()), {"task": "generate"},
             28, 512, batch=128),
    ]  # fmt: skip


def photo(side: int, seed: int) -> np.ndarray:
    """A side×side BGR uint8 'photo': smooth colour regions plus fine noise, so decoders and PNG
    encoding do realistic work (neither flat nor pure noise)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (side // 16 + 2, side // 16 + 2, 3), dtype=np.uint8)
    smooth = cv2.resize(coarse, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    return np.clip(smooth + rng.integers(-6, 7, smooth.shape), 0, 255).astype(np.uint8)


def load(case: Case, weights: Path, device: torch.device, precision: str):
    task = case.meta["task"]
    if task == "translate":
        return TranslatePipeline(weights, device, precision=precision)
    if task == "upscale":
        return UpscalePipeline(weights, device, precision)
    if task == "inpaint":
        return InpaintPipeline(weights, device, precision)
    return GeneratePipeline(weights, device)


def process(pipe, inputs: Path, mask: Path, out: Path, n: int) -> None:
    """What the CLI command does once its pipeline is loaded."""
    if pipe.task == "generate":
        out.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(pipe(n, seed=0)):
            write_png(out / f"0_{i:05d}.png", image)
        return
    pairs, problems = plan_outputs([str(inputs)], out, overwrite=True)
    if pipe.task == "inpaint":
        work = lambda src, dst: pipe.inpaint_file(src, dst, mask=mask)  # noqa: E731
    else:
        work = pipe.file_stages()
    result = run_batch(pairs, work, show_progress=False)
    if problems or result.failures or len(result.written) != n:
        raise RuntimeError(f"{pipe.task}: benchmark inputs failed: {(problems + result.failures)[:1]}")


def model_input(case: Case, pipe) -> torch.Tensor:
    if case.meta["task"] == "generate":
        return pipe.net.sample_latent(case.batch).to(pipe.device)
    channels = 4 if case.meta["task"] == "inpaint" else 3
    x = torch.rand(case.batch, channels, case.side, case.side) * 2 - 1
    return x.to(pipe.device).contiguous(memory_format=torch.channels_last)


def measure(case: Case, precision: str, device: torch.device, repeats: int, fp32_peak: float) -> dict[str, Any]:
    """One row: model-only, GFLOP/s and end-to-end figures of ``case`` at ``precision``."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        torch.manual_seed(0)
        net = case.build().eval()
        weights = tmp / "model.safetensors"
        save_weights(weights, net, spec_of(net) | case.meta)
        inputs, mask = tmp / "inputs", tmp / "mask.png"
        inputs.mkdir()
        for i in range(case.images if case.meta["task"] != "generate" else 0):
            cv2.imwrite(str(inputs / f"{i:04d}.jpg"), photo(case.side, i), [cv2.IMWRITE_JPEG_QUALITY, 95])
        write_png(mask, demo_mask((case.side, case.side), 0, "benchmark").astype(np.uint8) * 255)

        pipe = load(case, weights, device, precision)
        x = model_input(case, pipe)
        dtype = getattr(pipe, "dtype", None)

        def forward() -> None:
            with torch.inference_mode(), autocast(pipe.device, dtype):
                pipe.net(x)

        model_s = median_seconds(forward, repeats=max(repeats, 3), warmup=2, device=device) / case.batch
        # int8 runs in ONNX Runtime, where torch cannot count: the float net does the same arithmetic
        flop = gflop(forward if precision != "int8" else lambda: net(x)) / case.batch
        e2e_s = median_seconds(lambda: process(load(case, weights, device, precision), inputs, mask, tmp / "out", case.images),
                               repeats=repeats, warmup=0, device=device)
    return {
        "pipeline": case.name, "net": case.net, "precision": "int8" if precision == "int8" else PRECISION_NAMES[dtype],
        "images": case.images, "e2e_img_s": case.images / e2e_s, "model_ms": 1000 * model_s, "gflop": flop,
        "gflops": flop / model_s, "of_fp32_peak": flop / model_s / fp32_peak, "reference": case.reference,
    }  # fmt: skip
