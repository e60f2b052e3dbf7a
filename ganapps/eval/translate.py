"""How good is a translation model? Task-appropriate figures on held-out test images.

* CycleGAN (no ground truth exists for a zebra that was a horse): the *translation-success rate*,
  the share of translated test images that our own A-vs-B classifier assigns to the target domain,
  next to the classifier's accuracy on real test images (how far to trust it) and the share of the
  untranslated inputs it already calls target (the floor a do-nothing model would get).
* pix2pix (ground truth exists): PSNR, SSIM (11×11 Gaussian window) and L1 against the true photos,
  each averaged over images, on the [0, 1] scale, at the training resolution.

Both also time the generator, so the report says how many images per second the device runs.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import kornia.metrics
import torch
from torch import Tensor
from torch.utils.data import Dataset

from ganapps.core.checkpoint import CheckpointError
from ganapps.data.datasets import AlignedDataset, ImageFolder, SketchPairs
from ganapps.pipelines.base import load_net
from ganapps.pipelines.translate import TranslatePipeline

from .domain import CLASSES, accuracy_on_test, classify, stack


def image_metrics(output: Tensor, target: Tensor) -> dict[str, float]:
    """Mean PSNR (dB), SSIM and L1 over a batch of images in [-1, 1], measured on [0, 1]."""
    x, y = (output.float().clamp(-1, 1) + 1) / 2, (target.float().clamp(-1, 1) + 1) / 2
    psnr = torch.stack([kornia.metrics.psnr(a, b, max_val=1.0) for a, b in zip(x, y)])
    ssim = kornia.metrics.ssim(x, y, window_size=11, max_val=1.0).flatten(1).mean(1)
    l1 = (x - y).abs().flatten(1).mean(1)
    return {"psnr": psnr.mean().item(), "ssim": ssim.mean().item(), "l1": l1.mean().item()}


def _timed_run(pipe: TranslatePipeline, images: Tensor, batch_size: int) -> tuple[Tensor, float]:
    pipe.run(images[:1])  # warm-up (allocator, oneDNN kernels) so the timing is the steady state
    t0 = time.perf_counter()
    out = torch.cat([pipe.run(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])
    return out, len(images) / (time.perf_counter() - t0)


def evaluate_cyclegan(
    model: Path, data: Path, source: str, classifier: Path, device: str = "cpu", batch_size: int = 1
) -> dict[str, Any]:
    """Translate ``data/test{source}`` with ``model`` and score it with the domain ``classifier``."""
    clf, spec = load_net(classifier, device)
    if spec.get("task") != "classify-domains":
        raise CheckpointError(f"{classifier}: not a domain classifier (train one with 'ganapps train domain-classifier')")
    target = 1 - CLASSES.index(source)
    real_acc, n_real = accuracy_on_test(clf, data)
    pipe = TranslatePipeline(model, device)
    inputs = stack(ImageFolder(data / f"test{source}", pipe.image_size))
    translated, img_s = _timed_run(pipe, inputs, batch_size)
    return {
        "n": len(inputs),
        "success_rate": (classify(clf, translated) == target).double().mean().item(),
        "untranslated_as_target": (classify(clf, inputs) == target).double().mean().item(),
        "classifier_accuracy": real_acc,
        "n_real": n_real,
        "image_size": pipe.image_size,
        "img_s": img_s,
        "device": str(pipe.device),
    }


def pix2pix_test_set(data: Path, spec: dict[str, Any], image_size: int) -> Dataset:
    """The test pairs a pix2pix model is scored on: ``data/test`` aligned pairs in the model's
    direction, or for a sketch model the photos of ``data/test`` (or ``data``) with their drawings."""
    if spec.get("input") == "sketch":
        folder = data / "test" if (data / "test").is_dir() else data
        return SketchPairs(folder, image_size)
    return AlignedDataset(data, "test", image_size, spec.get("direction", "AtoB"))


def evaluate_pix2pix(model: Path, data: Path, device: str = "cpu", batch_size: int = 1) -> dict[str, Any]:
    """PSNR/SSIM/L1 of ``model``'s outputs against the true test targets, at the training size."""
    pipe = TranslatePipeline(model, device)
    pairs = pix2pix_test_set(data, pipe.spec, pipe.image_size)
    inputs = torch.stack([pairs[i]["A"] for i in range(len(pairs))])
    targets = torch.stack([pairs[i]["B"] for i in range(len(pairs))])
    outputs, img_s = _timed_run(pipe, inputs, batch_size)
    return {
        "n": len(pairs),
        **image_metrics(outputs, targets),
        "image_size": pipe.image_size,
        "img_s": img_s,
        "device": str(pipe.device),
    }
