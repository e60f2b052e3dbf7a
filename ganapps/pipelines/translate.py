"""Image-to-image translation (CycleGAN, pix2pix) of user images of any size, shape and format.

The nets were trained on small squares, so an image is brought to the training scale: its shorter
side is resized to ``size`` (default: the file's ``processing_size``, chosen on held-out photos, or
else its training size), with the longer
side capped at ``max_side`` so a panorama or a 50-MP photo still runs in seconds on a CPU. It is
reflect-padded to the net's stride, translated, cropped back and resized to its original size, so
the output has the input's exact dimensions and aspect ratio. Alpha is passed through; grayscale
and 16-bit inputs are read as RGB floats (the output is colour: a translation may add colour, as
sketch→photo does). Inputs of the same processed size are run as one batch.

A CycleGAN photo→photo model keeps the input's fine detail (``keep_detail``): rather than
enlarging the small output, the *change* the model made at the processing size is enlarged and
added to the full-size input, ``x + up(G(down(x)) − down(x))``. Where the model changed nothing
(a background its attention mask left alone) the output is the input itself, as sharp as it was;
where it restyled the animal, the new colours come from the model and the finest texture (fur,
grass blades) from the photo.

Line drawings (weights with ``input == "sketch"``) are first normalised to the style the model was
trained on (:func:`ganapps.data.sketch.normalise_drawing`); their alpha is the paper, not passed on.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import Tensor

from ganapps.core.checkpoint import CheckpointError
from ganapps.core.device import autocast_dtype
from ganapps.core.metadata import TranslateMeta
from ganapps.data.datasets import resize
from ganapps.data.io import Image, from_tensor, read_image, to_tensor, write_image
from ganapps.data.sketch import normalise_drawing
from ganapps.nets.blocks import pad_to_stride

from .base import forward, inference_net, load_net
from .files import Stages
from .memory import ActivationBudget

MAX_SIDE = 1024  # default cap on the processed longer side (CPU time grows with the pixel count)
UNPAIRED_MODELS = ("cyclegan", "cut")  # photo → photo models with the same generator, one per direction


@dataclass(frozen=True)
class TranslateTask:
    """A ``ganapps translate --task`` name: the shipped weights it uses and how it is evaluated."""

    weights: str
    model: str  # cyclegan (also serves CUT files: UNPAIRED_MODELS) | pix2pix
    what: str
    source: str = ""  # unpaired: the test split translated (A or B); the other is the target

    def accepts(self, kind: str | None) -> bool:
        """Whether a file whose metadata says ``model: kind`` can serve this task."""
        return kind in (UNPAIRED_MODELS if self.model in UNPAIRED_MODELS else (self.model,))


TASKS: dict[str, TranslateTask] = {
    "horse2zebra": TranslateTask("horse2zebra", "cyclegan", "horse photo → zebra", source="A"),
    "zebra2horse": TranslateTask("zebra2horse", "cyclegan", "zebra photo → horse", source="B"),
    "facades": TranslateTask("facades", "pix2pix", "facade label map → photo"),
    "sketch2photo": TranslateTask("sketch2photo", "pix2pix", "line drawing → face photo"),
}


def processing_size(height: int, width: int, size: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """(h, w) with the shorter side ``size`` and the longer side at most ``max(max_side, size)``.

    >>> processing_size(3000, 4000, 256)
    (256, 341)
    >>> processing_size(100, 5000, 256)
    (20, 1024)
    """
    scale = min(size / min(height, width), max(max_side, size) / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def add_change(full: np.ndarray, small_in: np.ndarray, small_out: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """``full`` (H×W×3 in [0, 1]) plus the change ``small_out − small_in`` enlarged to its size;
    with an attention ``mask`` (h×w in [0, 1], at the small size) the input's fine detail is kept
    only where the mask is closed: where the model redraws (mask 1) its enlarged output stands.
    Without that, zebra→horse got its zebra's fine stripes back from the full-size photo (72% of
    held-out zebras called horses instead of 96% with the output enlarged).

    >>> x = np.random.default_rng(0).random((40, 60, 3), dtype=np.float32)
    >>> small = cv2.resize(x, (30, 20), interpolation=cv2.INTER_AREA)
    >>> bool((add_change(x, small, small) == x).all())  # nothing changed: the input, bit for bit
    True
    >>> redrawn = add_change(x, small, small, mask=np.ones((20, 30), np.float32))
    >>> bool(np.abs(redrawn - cv2.resize(small, (60, 40), interpolation=cv2.INTER_CUBIC).clip(0, 1)).max() < 1e-6)
    True
    """
    h, w = full.shape[:2]
    change = small_out.astype(np.float32) - small_in.astype(np.float32)
    if change.shape[:2] != (h, w):
        change = cv2.resize(change, (w, h), interpolation=cv2.INTER_CUBIC)
    if mask is None:
        return np.clip(full + change, 0, 1)
    enlarged_in = cv2.resize(small_in.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    keep = 1 - np.clip(cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR), 0, 1)[:, :, None]
    return np.clip(enlarged_in + change + keep * (full - enlarged_in), 0, 1)


class TranslatePipeline:
    """``pipe(image)`` → translated :class:`~ganapps.data.io.Image` of the same size.

    ``precision``: ``auto`` (bf16 autocast on CPUs with AMX or AVX512-BF16, and GPUs, else fp32), ``fp32``, ``bf16``,
    ``fp16`` (CUDA), ``int8`` (CPU, ONNX Runtime, ``pipelines/int8.py``). ``keep_detail`` (default: on for CycleGAN photo models)
    adds the model's change to the full-size input instead of enlarging its output (see above).
    Images are processed with their shorter side at the file's ``processing_size`` when it has one
    (the size chosen on held-out photos: horse2zebra paints more zebras when the animal is larger
    than in its training crops), else at the training size.
    """

    task = "translate"

    def __init__(
        self, path: str | Path, device: str = "cpu", batch_size: int = 4, max_side: int = MAX_SIDE, precision: str = "auto",
        keep_detail: bool | None = None,
    ):
        self.net, self.spec = load_net(path, device, channels_last=True)
        if not isinstance(self.spec, TranslateMeta) or not hasattr(self.net, "stride"):
            raise CheckpointError(f"{path}: not an image-translation generator (task {self.spec.task!r})")
        self.device = next(self.net.parameters()).device
        self.image_size = self.spec.image_size
        self.default_size = self.spec.processing_size or self.image_size
        self.input_kind = self.spec.input
        self.batch_size, self.max_side = batch_size, max_side
        photo_to_photo = self.spec.model in UNPAIRED_MODELS and self.input_kind == "photo"
        self.keep_detail = photo_to_photo if keep_detail is None else keep_detail
        stride, dtype = self.net.stride, None if precision == "int8" else autocast_dtype(self.device, precision)
        self.budget = ActivationBudget(self.net, 3, dtype, probe=-(-max(64, self.net.min_side) // stride) * stride)
        self.net, self.dtype = inference_net(self.net, path, self.device, precision, self.image_size)

    @torch.inference_mode()
    def run(self, x: Tensor) -> Tensor:
        """N×3×H×W in [-1, 1], any H and W → translated N×3×H×W in [-1, 1] (float32, on the CPU)."""
        return self.run_with_mask(x)[0]

    @torch.inference_mode()
    def run_with_mask(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """:meth:`run` and, for attention generators, their mask (N×1×H×W in [0, 1]; else None)."""
        padded, (h, w) = pad_to_stride(x.to(self.device), self.net.stride, self.net.min_side)
        if hasattr(self.net, "forward_with_mask") and getattr(self.net.config, "attention", False):
            y, m = forward(self.net.forward_with_mask, padded, self.dtype)
            return y[..., :h, :w].cpu(), m[..., :h, :w].cpu()
        return forward(self.net, padded, self.dtype)[..., :h, :w].cpu(), None

    def _prepare(self, image: Image, hw: tuple[int, int]) -> np.ndarray:
        h, w = hw
        rgb = resize(image.rgb, w, h)
        if self.input_kind == "sketch":
            alpha = None if image.alpha is None else resize(image.alpha, w, h)
            rgb = np.repeat(normalise_drawing(rgb, alpha)[:, :, None], 3, axis=2)
        return rgb

    def translate_many(self, images: list[Image], size: int | None = None) -> list[Image]:
        """Translate several images; those with the same processed size run together."""
        size = size or self.default_size
        if size < 1:
            raise ValueError(f"size must be positive, not {size}")
        plans = [processing_size(*im.size, size, self.max_side) for im in images]
        results: list[Image | None] = [None] * len(images)
        for hw in dict.fromkeys(plans):  # distinct sizes, in input order
            idx = [i for i, p in enumerate(plans) if p == hw]
            for start in range(0, len(idx), self.batch_size):
                chunk = idx[start : start + self.batch_size]
                padded = [-(-max(side, self.net.min_side) // self.net.stride) * self.net.stride for side in hw]
                what = f"translating {len(chunk)} × {hw[1]}×{hw[0]} px"
                self.budget.check(len(chunk) * padded[0] * padded[1], self.device, what, "use a smaller --size")
                prepared = [self._prepare(images[i], hw) for i in chunk]
                x = torch.cat([to_tensor(p) for p in prepared])
                ys, masks = self.run_with_mask(x)
                for k, (i, small, y) in enumerate(zip(chunk, prepared, ys)):
                    src = images[i]
                    h, w = src.size
                    alpha = None if self.input_kind == "sketch" else src.alpha
                    out = from_tensor(y)
                    mask = None if masks is None else masks[k, 0].numpy()
                    rgb = add_change(src.rgb, small, out, mask) if self.keep_detail else resize(out, w, h)
                    results[i] = Image(rgb, alpha, src.bit_depth, gray=False)
        return results  # type: ignore[return-value]

    def __call__(self, image: Image, size: int | None = None) -> Image:
        return self.translate_many([image], size)[0]

    def file_stages(self, size: int | None = None, quality: int | None = None) -> Stages:
        """Decode, translate (``batch_size`` images at a time), encode in the format each output's
        name asks for: the job of ``ganapps translate`` for :func:`~ganapps.pipelines.files.run_batch`."""
        write = functools.partial(write_image, quality=quality)
        return Stages(read_image, functools.partial(self.translate_many, size=size), write, self.batch_size)
