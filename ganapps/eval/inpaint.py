"""How good is an inpainting model? PSNR, SSIM and L1 per mask-ratio bucket, against OpenCV.

The protocol, as in the partial-convolution paper's table (Liu et al. 2018): held-out images at the
model's resolution (centre square, as in training), one mask per image and bucket, drawn from the
seed, the image's index and the bucket's range (so a bucket's masks do not depend on which other
buckets are asked for), and the same masks for every method. Images are rounded to 8 bits first
and outputs are rounded as a saved file would be, so the known pixels of all methods are the very
same and the figures differ only by the fill. Metrics are over the whole image, in RGB on [0, 1]
(:func:`ganapps.eval.translate.image_metrics`), averaged over images.

Baselines: ``cv2.inpaint`` with Telea's fast marching method and with the Navier–Stokes method,
radius 3 px (OpenCV's documented example value).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import Tensor

from ganapps.data.datasets import ImageFolder
from ganapps.data.degrade import quantize8
from ganapps.data.masks import random_mask
from ganapps.pipelines.inpaint import InpaintPipeline

from .domain import stack
from .translate import image_metrics

OPENCV_RADIUS = 3
OPENCV_METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


def eval_masks(n: int, size: int, ratio: tuple[float, float], seed: int) -> Tensor:
    """N×1×S×S masks of one bucket; mask ``i`` depends only on (seed, i, the bucket's range)."""
    bucket = [round(1000 * r) for r in ratio]
    return torch.stack(
        [torch.from_numpy(random_mask(size, ratio, np.random.default_rng([seed, i, *bucket]))) for i in range(n)]
    ).float()[:, None]


def opencv_inpaint(images: Tensor, masks: Tensor, method: str) -> Tensor:
    """``cv2.inpaint`` of each 8-bit image (N×3×H×W in [-1, 1]) with ``method`` (telea | ns)."""
    out = []
    for image, mask in zip(images, masks):
        rgb = ((image.permute(1, 2, 0).numpy() + 1) * 127.5).round().astype(np.uint8)
        filled = cv2.inpaint(rgb, mask[0].numpy().astype(np.uint8), OPENCV_RADIUS, OPENCV_METHODS[method])
        out.append(torch.from_numpy(filled).permute(2, 0, 1).float() / 127.5 - 1)
    return torch.stack(out)


def held_out_images(data: Path, size: int) -> Tensor:
    """``data/test`` (or ``data`` itself) as 8-bit-rounded N×3×S×S squares in [-1, 1]."""
    folder = data / "test" if (data / "test").is_dir() else data
    return quantize8(stack(ImageFolder(folder, size)))


def evaluate_inpainting(
    model: Path, data: Path, ratios: list[tuple[float, float]], seed: int = 0, device: str = "cpu", batch_size: int = 16
) -> dict[str, Any]:
    """Per bucket: the mean hole share and ``{"ours", "telea", "ns"}`` → ``{"psnr", "ssim", "l1"}``."""
    pipe = InpaintPipeline(model, device, precision="fp32")
    images = held_out_images(data, pipe.image_size)
    buckets = []
    for ratio in ratios:
        masks = eval_masks(len(images), pipe.image_size, ratio, seed)
        chunks = range(0, len(images), batch_size)
        ours = torch.cat([pipe.fill(images[i : i + batch_size], masks[i : i + batch_size]) for i in chunks])
        outputs = {"ours": quantize8(ours)} | {m: opencv_inpaint(images, masks, m) for m in OPENCV_METHODS}
        scores = {name: image_metrics(out, images) for name, out in outputs.items()}
        buckets.append({"ratio": f"{ratio[0]:g}-{ratio[1]:g}", "hole": masks.mean().item(), **scores})
    return {"n": len(images), "image_size": pipe.image_size, "seed": seed, "device": str(pipe.device), "buckets": buckets}
