"""How good is an inpainting model? PSNR, SSIM and L1 per mask-ratio bucket, against OpenCV.

The protocol, as in the partial-convolution paper's table (Liu et al. 2018): held-out images, one
mask per image and bucket, drawn from the seed, the image's index, the image's size and the
bucket's range (so a bucket's masks do not depend on which other buckets are asked for), and the
same masks for every method. Two framings (issue 14: the first hid how the model did on the photos
people have):

* ``crop``: each image's centre square at the model's resolution, as in training, masks drawn at
  that size, the net run on it directly (the first model's published figures).
* ``native``: each image as it is in the folder (the test faces: 89×109 px), masks drawn at its
  size, filled by :class:`~ganapps.pipelines.inpaint.InpaintPipeline` as a user's file is (face
  framing or the whole image at its own scale), OpenCV at that size too.
 Images are rounded to 8 bits first
and outputs are rounded as a saved file would be, so the known pixels of all methods are the very
same and the figures differ only by the fill. Metrics are over the whole image, in RGB on [0, 1]
(:func:`ganapps.eval.translate.image_metrics`), averaged over images.

Baselines: :mod:`.opencv_inpaint` (Telea and Navier–Stokes).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganapps.data.datasets import ImageFolder
from ganapps.data.degrade import quantize8
from ganapps.data.io import Image, read_image
from ganapps.data.masks import MASK_FAMILIES, eval_mask, eval_masks
from ganapps.pipelines.inpaint import InpaintPipeline
from ganapps.pipelines.latent_inpaint import LatentInpaintPipeline
from ganapps.tasks.inpaint import training_faces

from .domain import stack
from .opencv_inpaint import OPENCV_METHODS, opencv_inpaint
from .translate import SPLITS, image_metrics

FRAMINGS = ("native", "crop")


def held_out_folder(data: Path, size: int, split: str = "test") -> ImageFolder:
    """``data/test`` (or ``data`` itself) at ``size``; with ``split="val"`` the training faces that
    ``ganapps train inpaint`` holds out by default (``--val``), on which the shipped step is chosen
    without looking at the test faces. Unreadable files are skipped with one warning."""
    if split not in SPLITS:
        raise ValueError(f"split must be test or val, not {split!r}")
    if split == "test":
        return ImageFolder(data / "test" if (data / "test").is_dir() else data, size)
    folder, val_files = training_faces(data, size)
    folder.files = val_files
    return folder


def held_out_images(data: Path, size: int, split: str = "test") -> Tensor:
    """The held-out faces of ``split`` as 8-bit-rounded N×3×S×S squares in [-1, 1]."""
    return quantize8(stack(held_out_folder(data, size, split)))


def _as_tensor(rgb: np.ndarray) -> Tensor:
    """H×W×3 in [0, 1] → 1×3×H×W in [-1, 1], rounded to 8 bits as a saved file would be."""
    return quantize8(torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None] * 2 - 1)


def _native_bucket(
    pipe: InpaintPipeline, images: list[Tensor], ratio: tuple[float, float], seed: int, family: str
) -> dict[str, Any]:
    """One bucket of the ``native`` framing: images one at a time at their own size."""
    totals: dict[str, dict[str, float]] = {}
    hole_share = 0.0
    for i, image in enumerate(images):
        hole = eval_mask(tuple(image.shape[-2:]), ratio, seed, i, family)
        mask = torch.from_numpy(hole).float()[None, None]
        ours = pipe(Image(((image[0].permute(1, 2, 0) + 1) / 2).numpy()), hole).rgb
        outputs = {"ours": _as_tensor(ours)} | {m: opencv_inpaint(image, mask, m) for m in OPENCV_METHODS}
        for name, out in outputs.items():
            for metric, value in image_metrics(out, image).items():
                totals.setdefault(name, {}).setdefault(metric, 0.0)
                totals[name][metric] += value / len(images)
        hole_share += hole.mean() / len(images)
    return {"ratio": f"{ratio[0]:g}-{ratio[1]:g}", "hole": float(hole_share), **totals}


def evaluate_inpainting(
    model: Path,
    data: Path,
    ratios: list[tuple[float, float]],
    seed: int = 0,
    device: str = "cpu",
    batch_size: int = 16,
    framing: str = "crop",
    face: str = "auto",
    masks: str = "freeform",
    method: str = "net",
    limit: int | None = None,
    split: str = "test",
) -> dict[str, Any]:
    """Per bucket: the mean hole share and ``{"ours", "telea", "ns"}`` → ``{"psnr", "ssim", "l1"}``,
    in ``framing`` (``native`` | ``crop``, see the module docstring), with the holes of the mask
    family ``masks``; ``face`` is the pipeline's face mode of the native framing. ``method``
    ``latent`` makes "ours" the latent search of a face generator (``model``); ``limit``: only the
    first images (in name order); ``split``: see :func:`held_out_folder`."""
    if framing not in FRAMINGS:
        raise ValueError(f"framing {framing!r}: use one of {', '.join(FRAMINGS)}")
    if masks not in MASK_FAMILIES:
        raise ValueError(f"mask family {masks!r}: use one of {', '.join(MASK_FAMILIES)}")
    pipeline = {"net": InpaintPipeline, "latent": LatentInpaintPipeline}[method]
    pipe = pipeline(model, device, precision="fp32", face=face)
    report = {"framing": framing, "masks": masks, "image_size": pipe.image_size, "seed": seed, "device": str(pipe.device),
              "method": method, "split": split}
    if framing == "native":
        files = held_out_folder(data, pipe.image_size, split).files[:limit]
        images = [_as_tensor(read_image(f).rgb) for f in files]
        buckets = [_native_bucket(pipe, images, ratio, seed, masks) for ratio in ratios]
        return report | {"n": len(images), "face": face, "buckets": buckets}
    images = held_out_images(data, pipe.image_size, split)[:limit]
    buckets = []
    for ratio in ratios:
        holes = eval_masks(len(images), pipe.image_size, ratio, seed, masks)
        chunks = range(0, len(images), batch_size)
        ours = torch.cat([pipe.fill(images[i : i + batch_size], holes[i : i + batch_size]) for i in chunks])
        outputs = {"ours": quantize8(ours)} | {m: opencv_inpaint(images, holes, m) for m in OPENCV_METHODS}
        scores = {name: image_metrics(out, images) for name, out in outputs.items()}
        buckets.append({"ratio": f"{ratio[0]:g}-{ratio[1]:g}", "hole": holes.mean().item(), **scores})
    return report | {"n": len(images), "buckets": buckets}
