"""How good is a translation model? Task-appropriate figures on held-out test images.

* CycleGAN (no ground truth exists for a zebra that was a horse): the *translation-success rate*,
  the share of translated test images that our own A-vs-B classifier assigns to the target domain,
  next to the classifier's accuracy on real test images (how far to trust it) and the share of the
  untranslated inputs it already calls target (the floor a do-nothing model would get); the
  periodic-artifact score of the outputs next to that of the inputs merely resized to the
  processing size and back (the bar); with foreground masks, background PSNR and the change inside
  the animal (``eval/scene.py``). Images go through the whole pipeline, at their own size.
* pix2pix (ground truth exists): PSNR, SSIM (11×11 Gaussian window) and L1 against the true photos,
  each averaged over images, on the [0, 1] scale, at the training resolution; the median
  periodic-artifact score of the outputs next to that of the true photos at that resolution.

Both also time the generator, so the report says how many images per second the device runs.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import kornia.metrics
import torch
from torch import Tensor

import numpy as np

from ganapps.core.checkpoint import CheckpointError
from ganapps.core.metadata import TranslateMeta
from ganapps.data.datasets import VAL_PER_DOMAIN, AlignedDataset, SketchPairs, holdout, list_images, resize, schematic_drawings
from ganapps.data.io import read_image, to_tensor
from ganapps.pipelines.base import load_net
from ganapps.pipelines.translate import TranslatePipeline, processing_size

from .domain import CLASSES, accuracy_on_test, classify
from .face_detect import face_found_rate
from .scene import background_psnr, foreground_change, periodic_artifact_score

SPLITS = ("test", "val")
SCHEMATIC_EVAL = 100  # people's drawings of "a face" a drawing → face model is scored on


def ssim_per_image(output: Tensor, target: Tensor) -> Tensor:
    """SSIM of each image of a batch in [-1, 1], measured on [0, 1] with an 11-px window (RGB, the
    channels' mean); differentiable, so ``train pix2pix --ssim-weight`` optimises this very figure."""
    x, y = ((t.float().clamp(-1, 1) + 1) / 2 for t in (output, target))
    return kornia.metrics.ssim(x, y, window_size=11, max_val=1.0).flatten(1).mean(1)


def image_metrics(output: Tensor, target: Tensor) -> dict[str, float]:
    """Mean PSNR (dB), SSIM and L1 over a batch of images in [-1, 1], measured on [0, 1]."""
    x, y = (output.float().clamp(-1, 1) + 1) / 2, (target.float().clamp(-1, 1) + 1) / 2
    psnr = torch.stack([kornia.metrics.psnr(a, b, max_val=1.0) for a, b in zip(x, y)])
    ssim = ssim_per_image(output, target)
    l1 = (x - y).abs().flatten(1).mean(1)
    return {"psnr": psnr.mean().item(), "ssim": ssim.mean().item(), "l1": l1.mean().item()}


def _timed_run(pipe: TranslatePipeline, images: Tensor, batch_size: int) -> tuple[Tensor, float]:
    pipe.run(images[:1])  # warm-up (allocator, oneDNN kernels) so the timing is the steady state
    t0 = time.perf_counter()
    out = torch.cat([pipe.run(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])
    return out, len(images) / (time.perf_counter() - t0)


def cyclegan_eval_files(data: Path, source: str, split: str = "test", masks: Path | None = None) -> tuple[list[Path], Path | None]:
    """(images, masks folder or None) to score: ``test{source}/``, or with ``split="val"`` the
    images that training held out of ``train{source}/`` (with ``train{source}_seg/`` masks)."""
    if split not in SPLITS:
        raise ValueError(f"split must be test or val, not {split!r}")
    if split == "test":
        return list_images(data / f"test{source}"), masks
    seg = data / f"train{source}_seg"
    files = holdout(list_images(data / f"train{source}"), VAL_PER_DOMAIN, seg)[1]
    return files, masks or (seg if seg.is_dir() else None)


def _mask_for(masks: Path, image: Path, hw: tuple[int, int]) -> np.ndarray:
    found = [p for p in (masks / image.name, *masks.glob(image.stem + ".*")) if p.is_file()]
    if not found:
        raise FileNotFoundError(f"{masks}: no mask for {image.name}")
    m = read_image(found[0]).rgb.mean(axis=2)
    return resize(m[:, :, None], hw[1], hw[0])[:, :, 0] > 0.5


def evaluate_cyclegan(
    model: Path, data: Path, source: str, classifier: Path, device: str = "cpu", batch_size: int = 1,
    split: str = "test", masks: Path | None = None, size: int | None = None,
) -> dict[str, Any]:
    """Translate ``source``-domain images of ``split`` with ``model`` through the pipeline, at their
    own size, and score the outputs (see the module docstring); ``masks``: a folder of foreground
    masks named like the images (bright = foreground), for the background figures; ``size``: the
    processing size (default: the model's, as ``ganapps translate`` uses it)."""
    clf, spec = load_net(classifier, device)
    if spec.task != "classify-domains":
        raise CheckpointError(f"{classifier}: not a domain classifier (train one with 'ganapps train domain-classifier')")
    target = 1 - CLASSES.index(source)
    real_acc, n_real = accuracy_on_test(clf, data)
    files, masks = cyclegan_eval_files(data, source, split, masks)
    pipe = TranslatePipeline(model, device, batch_size=batch_size)
    images = [read_image(f) for f in files]
    size = size or pipe.default_size
    pipe.translate_many(images[:1], size)  # warm-up, as in _timed_run
    t0 = time.perf_counter()
    outputs = pipe.translate_many(images, size)
    img_s = len(images) / (time.perf_counter() - t0)
    ins = [to_tensor(im.rgb)[0] for im in images]
    outs = [to_tensor(o.rgb)[0] for o in outputs]
    resized_back = []
    for im in images:
        h, w = processing_size(*im.size, size, pipe.max_side)
        resized_back.append(to_tensor(resize(resize(im.rgb, w, h), im.size[1], im.size[0]))[0])
    result = {
        "n": len(images),
        "split": split,
        "success_rate": float(np.mean([int(classify(clf, o[None])[0]) == target for o in outs])),
        "untranslated_as_target": float(np.mean([int(classify(clf, x[None])[0]) == target for x in ins])),
        "classifier_accuracy": real_acc,
        "n_real": n_real,
        "artifact_score": float(np.median([periodic_artifact_score(o) for o in outs])),
        "artifact_score_resized_inputs": float(np.median([periodic_artifact_score(r) for r in resized_back])),
        "image_size": size,
        "img_s": img_s,
        "device": str(pipe.device),
    }
    if masks is not None:
        fg = [_mask_for(masks, f, im.size) for f, im in zip(files, images)]
        result["background_psnr"] = float(np.nanmean([min(100.0, background_psnr(x, o, m)) for x, o, m in zip(ins, outs, fg)]))
        result["foreground_change"] = float(np.nanmean([foreground_change(x, o, m) for x, o, m in zip(ins, outs, fg)]))
    return result


def pix2pix_eval_pairs(data: Path, spec: TranslateMeta, image_size: int, split: str = "test") -> list[dict[str, Tensor]]:
    """The pairs a pix2pix model is scored on, ``{"A": input, "B": target}`` at ``image_size``:
    ``split="test"``: ``data/test`` aligned pairs in the model's direction, or for a sketch model the
    photos of ``data/test`` (or ``data``) with their drawings; ``split="val"``: the training pairs
    (photos) that ``ganapps train pix2pix`` holds out by default (``--val 50``), scored as its
    ``val.jsonl`` scores them, to choose a step to ship without the test split."""
    if split not in SPLITS:
        raise ValueError(f"split must be test or val, not {split!r}")
    part = "test" if split == "test" else "train"
    folder = data / part if (data / part).is_dir() else data
    val = 0 if split == "test" else VAL_PER_DOMAIN
    pairs = (SketchPairs(folder, image_size, val=val) if spec.input == "sketch"
             else AlignedDataset(data, part, image_size, spec.direction, val=val))
    return list(pairs) if split == "test" else [pairs.pair(f, image_size) for f in pairs.val_files]


def evaluate_pix2pix(model: Path, data: Path, device: str = "cpu", batch_size: int = 1, split: str = "test") -> dict[str, Any]:
    """PSNR/SSIM/L1 of ``model``'s outputs against the true targets of ``split``, at the training size."""
    pipe = TranslatePipeline(model, device)
    pairs = pix2pix_eval_pairs(data, pipe.spec, pipe.image_size, split)
    if not pairs:
        raise ValueError(f"{data}: no {split} pairs to score")
    inputs = torch.stack([p["A"] for p in pairs])
    targets = torch.stack([p["B"] for p in pairs])
    outputs, img_s = _timed_run(pipe, inputs, batch_size)
    result = {
        "n": len(pairs),
        "split": split,
        **image_metrics(outputs, targets),
        "artifact_score": float(np.median([periodic_artifact_score(o) for o in outputs])),
        "artifact_score_targets": float(np.median([periodic_artifact_score(t) for t in targets])),
        "image_size": pipe.image_size,
        "img_s": img_s,
        "device": str(pipe.device),
    }
    if pipe.spec.input == "sketch":  # are the outputs faces? (eval/face_detect.py)
        drawings = schematic_drawings(SCHEMATIC_EVAL, pipe.image_size)
        result |= {
            "faces_found": face_found_rate(outputs), "faces_found_targets": face_found_rate(targets),
            "schematic_faces_found": face_found_rate(pipe.run(drawings)),
            "schematic_drawings_faces_found": face_found_rate(drawings), "n_schematic": SCHEMATIC_EVAL,
        }  # fmt: skip
    return result
