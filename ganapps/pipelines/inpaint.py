"""Inpainting of user images of any size: every known pixel comes back bit-identical.

A mask marks the missing pixels: white (luminance ≥ 50%) = missing, or, for a hole painted on a
transparent layer, opaque (alpha ≥ 50%) = missing (:func:`read_mask`). A mask that marks no pixel
is a no-op: the image comes back unchanged, with a warning.

Why not a fixed square: the generator is fully convolutional, and what it needs is faces at the
scale and framing it was trained on, not inputs of one size. Resampling a non-square face to the
model's square (issue 14) cost most of its lead over OpenCV: +0.8 to +1.3 dB at the faces' own
89×109 px against +2.8 dB for the same faces centre-cropped to the training square. So:

1. **Faces** (``face="auto"``, the default). Each face the detector finds (:mod:`.faces`) whose
   training-framed crop overlaps the hole is filled in that crop (the part inside the image),
   scaled so the face has its training size (:func:`~.faces.face_scale`), and scaled back. A face
   already within a factor 1.25 of that size is left to step 2, which sees more context.
2. **Whole image** (no face, ``face="off"``, faces at the model's scale, or hole pixels outside
   every face crop). The image is processed at its own scale, whole while it has at most
   ``MAX_PIXELS`` pixels; a larger one only around the hole (the hole's box and its own size of
   context on every side), shrunk if that region is still above ``MAX_PIXELS``. Hole pixels away
   from every face are noted in the log.
3. **Fill at a working size.** The hole is set to grey first, so nothing of what the mask hides
   reaches the net, not even through resampling at the hole's border; image and mask are resized
   to the working size if it differs (a working pixel that overlaps the hole counts as hole),
   reflect-padded to a multiple of the net's stride (4: two stride-2 stages; exact halvings as in
   training), filled, cropped back and resized back.
4. **Composite.** Only the hole's pixels are replaced in the decoded image; everything else is the
   decoder's own output, so writing at the input's bit depth reproduces the known pixels exactly
   (8 and 16 bits, gray and RGB). Alpha is passed through untouched.
"""
from __future__ import annotations

import math
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from ganapps.core.device import autocast_dtype
from ganapps.core.logging import write_png
from ganapps.data.datasets import list_images, resize
from ganapps.data.io import Image, ImageReadError, from_tensor, read_image, to_tensor, write_image
from ganapps.data.masks import random_mask
from ganapps.nets.inpaint_net import InpaintGenerator, composite, masked_input

from .base import forward, load_net
from .faces import Detector, detect_faces, face_frame, face_scale, pixel_frame

DEMO_RATIO = (0.2, 0.4)  # hole share of --random-mask masks
STRIDE = 4  # the generator's total downsampling: working sizes are padded to a multiple of it
MAX_PIXELS = 640 * 640  # the whole-image path's largest region (about 0.5 GB of fp32 activations)
FACE_MODES = ("auto", "off")
Log = Callable[[str], None]


def read_mask(path: str | Path) -> np.ndarray:
    """A mask file → H×W bool, True = missing. A hole painted on a transparent layer (what paint
    programs and a browser canvas export: the strokes only in alpha, the colour often black) is
    read from its alpha channel when that is not uniform; any other mask from its luminance
    (white = missing). Soft brush edges and JPEG noise are thresholded at 50%."""
    m = read_image(path)
    if m.alpha is not None and m.alpha.min() != m.alpha.max():
        return m.alpha >= 0.5
    return m.rgb.mean(axis=2) >= 0.5


def demo_mask(size: tuple[int, int], seed: int, stem: str) -> np.ndarray:
    """The ``--random-mask`` mask: a function of the seed and the file's stem, so each file of a
    folder gets its own mask and rerunning with the same seed gives the same one."""
    return random_mask(size, DEMO_RATIO, np.random.default_rng([seed, zlib.crc32(stem.encode())]))


def mask_path_for(output: Path) -> Path:
    """Where ``--random-mask`` writes the mask it used: ``STEM_mask.png`` next to the output."""
    return output.with_name(f"{output.stem}_mask.png")


def check_mask(hole: np.ndarray, image: Image, name: str = "the mask") -> None:
    """A clear error unless ``hole`` (H×W) has ``image``'s size and leaves some pixel known: with
    none, the net would draw the whole image from nothing, which is not inpainting."""
    if hole.shape != image.size:
        (h, w), (ih, iw) = hole.shape, image.size
        raise ValueError(f"{name} is {w}×{h} px but the image is {iw}×{ih} px; a mask must have its image's size")
    if hole.all():
        raise ValueError(f"{name} covers the whole image: no known pixel is left to fill the hole from")


def hole_box(hole: np.ndarray) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1), exclusive ends: the bounding box of a non-empty ``hole``."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def native_region(hole: np.ndarray, max_pixels: int = MAX_PIXELS) -> tuple[slice, slice, float]:
    """(rows, columns, scale) of the whole-image path (step 2): the whole image at scale 1 while it
    has at most ``max_pixels`` pixels, else the hole's box with its own size of context on every
    side, inside the image, at the scale that brings it to at most ``max_pixels``."""
    h, w = hole.shape
    if h * w <= max_pixels:
        return slice(0, h), slice(0, w), 1.0
    y0, y1, x0, x1 = hole_box(hole)
    dy, dx = y1 - y0, x1 - x0
    rows, cols = slice(max(0, y0 - dy), min(h, y1 + dy)), slice(max(0, x0 - dx), min(w, x1 + dx))
    area = (rows.stop - rows.start) * (cols.stop - cols.start)
    return rows, cols, min(1.0, math.sqrt(max_pixels / area))


def pad_to_stride(a: np.ndarray, stride: int = STRIDE) -> tuple[np.ndarray, tuple[int, int]]:
    """``a`` (H×W or H×W×C) reflect-padded at the bottom and right to multiples of ``stride``;
    also the original (H, W), to crop back."""
    h, w = a.shape[:2]
    pads = ((0, -h % stride), (0, -w % stride)) + ((0, 0),) * (a.ndim - 2)
    return np.pad(a, pads, mode="reflect"), (h, w)


def pair_masks(sources: list[Path], mask: Path) -> tuple[dict[Path, Path], list[str]]:
    """Each source's mask file: ``mask`` itself if it is a file, else the image with the source's
    stem in folder ``mask``; sources without exactly one such mask are listed as problems."""
    if mask.is_file():
        return {s: mask for s in sources}, []
    by_stem: dict[str, list[Path]] = {}
    for f in list_images(mask):
        by_stem.setdefault(f.stem, []).append(f)
    masks, problems = {}, []
    for s in sources:
        found = by_stem.get(s.stem, [])
        if len(found) == 1:
            masks[s] = found[0]
        elif not found:
            problems.append(f"{s}: no mask named {s.stem}.* in {mask}")
        else:
            problems.append(f"{s}: several masks named {s.stem}.* in {mask} ({', '.join(f.name for f in found)})")
    return masks, problems


def plan_demo_masks(pairs: list[tuple[Path, Path]], overwrite: bool) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Drop the pairs whose ``STEM_mask.png`` would replace an input, another output or (without
    ``overwrite``) an existing file; those are listed as problems."""
    taken = {p.resolve() for pair in pairs for p in pair}
    kept, problems = [], []
    for src, dst in pairs:
        m = mask_path_for(dst)
        if m.resolve() in taken:
            problems.append(f"{src}: its mask {m} would replace an input or another output")
        elif m.exists() and not overwrite:
            problems.append(f"{src}: mask {m} exists (pass --overwrite to replace it)")
        else:
            kept.append((src, dst))
    return kept, problems


class InpaintPipeline:
    """``pipe(image, hole)`` → the image with the hole filled; ``pipe.inpaint_file(src, dst, mask)``.

    ``precision="auto"`` is bf16 autocast on CPUs with AMX or AVX512-BF16, and GPUs, else fp32. ``face="off"`` skips face
    detection (step 1); ``detector`` replaces :func:`~.faces.detect_faces` (tests, other detectors).
    """

    task = "inpaint"

    def __init__(
        self,
        path: str | Path,
        device: str | torch.device = "cpu",
        precision: str = "auto",
        face: str = "auto",
        detector: Detector = detect_faces,
    ):
        if face not in FACE_MODES:
            raise ValueError(f"face mode {face!r}: use one of {', '.join(FACE_MODES)}")
        self.net, self.spec, self.image_size = self._load(path, device)
        self.device = next(self.net.parameters()).device
        self.dtype = autocast_dtype(self.device, precision)
        self.face, self.detector = face, detector

    def _load(self, path: str | Path, device: str | torch.device) -> tuple[torch.nn.Module, Any, int]:
        """The net, its metadata and the size of the faces it was trained on."""
        net, spec = load_net(path, device, channels_last=True)
        if not isinstance(net, InpaintGenerator):
            raise ValueError(f"{path}: not an inpainting model (architecture {spec.arch!r})")
        return net, spec, spec.image_size

    @torch.inference_mode()
    def fill(self, image: Tensor, mask: Tensor) -> Tensor:
        """N×3×H×W in [-1, 1] and N×1×H×W masks (1 = hole) → composited, float32 on the CPU."""
        raw = forward(self.net, masked_input(image, mask).to(self.device), self.dtype)
        return composite(image, mask, raw.cpu().clamp(-1, 1))

    def fill_at(self, rgb: np.ndarray, hole: np.ndarray, width: int, height: int) -> np.ndarray:
        """Step 3: ``rgb`` (H×W×3 in [0, 1]) with ``hole`` filled by the net run at width×height;
        the result has ``rgb``'s size, and only its hole pixels are meant to be used."""
        h, w = hole.shape
        grey = np.where(hole[:, :, None], np.float32(0.5), rgb)
        work_hole = resize(hole.astype(np.float32), width, height) > 0  # any overlap is hole
        work, (wh, ww) = pad_to_stride(resize(grey, width, height))
        mask, _ = pad_to_stride(work_hole)
        filled = from_tensor(self.fill(to_tensor(work), torch.from_numpy(mask).float()[None, None]))
        return resize(filled[:wh, :ww], w, h)

    def _fill_faces(self, rgb: np.ndarray, hole: np.ndarray) -> tuple[int, np.ndarray]:
        """Step 1 in place: fill the hole pixels inside the training-framed crop of each detected
        face that needs scaling, and clear them from ``hole``. Returns the number of faces near the
        hole and the hole pixels away from all of them.

        A face already at the model's scale (:func:`~.faces.face_scale` 1) is left to step 2: the
        crop would only cut the context beyond the frame away. On the 100 held-out training faces
        at their own size that costs 0.02–0.10 dB in each hole bucket of both mask families
        (``eval inpaint --split val --framing native``, ``--face auto`` vs ``off``)."""
        h, w = hole.shape
        near, away = 0, hole.copy()
        for box in self.detector(rgb):
            x0, y0, x1, y1 = pixel_frame(face_frame(box))
            inside = (slice(max(0, y0), min(h, y1)), slice(max(0, x0), min(w, x1)))
            region_hole = hole[inside]
            if not region_hole.any():
                continue
            near += 1
            away[inside] = False
            k = face_scale(box, self.image_size)
            if k == 1.0:
                continue
            ch, cw = region_hole.shape
            filled = self.fill_at(rgb[inside], region_hole, max(1, round(cw * k)), max(1, round(ch * k)))
            rgb[inside][region_hole] = filled[region_hole]
            hole[inside] = False
        return near, away

    def _fill_native(self, rgb: np.ndarray, hole: np.ndarray) -> None:
        """Step 2 in place: fill ``hole`` at the image's own scale (or around the hole, see there)."""
        rows, cols, k = native_region(hole)
        region_hole = hole[rows, cols]
        h, w = region_hole.shape
        filled = self.fill_at(rgb[rows, cols], region_hole, max(1, round(w * k)), max(1, round(h * k)))
        rgb[rows, cols][region_hole] = filled[region_hole]

    def __call__(self, image: Image, hole: np.ndarray, log: Log | None = None) -> Image:
        """Fill ``hole`` (H×W bool, True = missing) of ``image``; an all-False hole is a no-op.
        ``log`` gets a line when face mode falls back to the whole-image path."""
        check_mask(hole, image)
        rgb = image.rgb.copy()
        left = hole.copy()
        if left.any() and self.face == "auto":
            faces, away = self._fill_faces(rgb, left)
            if away.any() and log is not None:
                where = "no face found near the hole" if faces == 0 else f"{int(away.sum())} hole pixels away from the faces"
                log(f"{where}: filled at the image's own scale")
        if left.any():
            self._fill_native(rgb, left)
        alpha = None if image.alpha is None else image.alpha.copy()
        return Image(rgb, alpha, image.bit_depth, image.gray)

    def inpaint_file(
        self, src: Path, dst: Path, mask: Path | None = None, seed: int = 0, log: Log | None = None, quality: int | None = None
    ) -> list[str]:
        """Read ``src``, fill the hole of ``mask`` (without one: of :func:`demo_mask` for ``seed``,
        also written, as PNG, to :func:`mask_path_for`), write ``dst`` in the format its name asks
        for at ``src``'s bit depth where it can; ``log`` gets the pipeline's notes, prefixed with
        ``src``. Returns notes on what the output format dropped."""
        image = read_image(src)
        try:
            hole = read_mask(mask) if mask is not None else demo_mask(image.size, seed, src.stem)
        except ImageReadError as e:
            raise ImageReadError(f"mask {e}") from None
        check_mask(hole, image, f"mask {mask}" if mask is not None else "the random mask")
        filled = self(image, hole, None if log is None else lambda line: log(f"{src}: {line}"))
        if mask is None:  # written once the fill has worked, so a failure leaves no file behind
            write_png(mask_path_for(dst), hole.astype(np.uint8) * 255)
        empty = [] if hole.any() else ["the mask marks no pixel: the image is written unchanged"]
        return empty + write_image(dst, filled, quality=quality)
