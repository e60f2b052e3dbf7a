"""Inpainting of user images of any size: every known pixel comes back bit-identical.

A mask marks the missing pixels (non-zero = missing; where the mask file has alpha, transparent
pixels are never missing). An all-zero mask is a no-op: the image comes back unchanged. For an
image and its mask:

1. **Region.** A square around the hole's bounding box: twice its longer side (the hole plus half
   its size of context on every side), at least the model's resolution (a small hole in a large
   photo is seen at its own scale, not blown up), but no larger than the image's shorter side
   (a small image is taken whole, at the scale the model was trained at) unless the hole itself is;
   moved inside the image. Where the hole is longer than the image's shorter side, the region is
   reflect-padded to a square.
2. **Model resolution.** The hole's pixels are set to grey first, so nothing of what the mask hides
   reaches the net, not even through resampling at the hole's border. Region and mask are resized
   to the model's size (area when shrinking, bicubic when enlarging); a model pixel that overlaps
   the hole counts as hole.
3. **Fill.** The net predicts, the known model pixels are kept, the result is resized back.
4. **Composite.** Only the hole's pixels are replaced in the decoded image; everything else is the
   decoder's own output, so writing at the input's bit depth reproduces the known pixels exactly
   (8 and 16 bits, gray and RGB). Alpha is passed through untouched.
"""
from __future__ import annotations

import zlib
from pathlib import Path

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

CONTEXT = 2  # region side / hole side
DEMO_RATIO = (0.2, 0.4)  # hole share of --random-mask masks
PAD_BUDGET = 4  # a region padded to a square is first shrunk to at most this many model sizes


def read_mask(path: str | Path) -> np.ndarray:
    """A mask file → H×W bool, True = missing: any non-zero colour, unless fully transparent."""
    m = read_image(path)
    hole = m.rgb.max(axis=2) > 0
    return hole & (m.alpha > 0) if m.alpha is not None else hole


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


def hole_region(hole: np.ndarray, min_side: int) -> tuple[slice, slice, int]:
    """(rows, columns, square side) of the region processed for ``hole`` (step 1 above)."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    hole_side, short = max(y1 - y0, x1 - x0), min(hole.shape)
    side = max(min(max(CONTEXT * hole_side, min_side), short), hole_side)

    def span(lo: int, hi: int, n: int) -> slice:
        if side >= n:
            return slice(0, n)
        start = min(max((lo + hi) // 2 - side // 2, 0), n - side)
        return slice(start, start + side)

    return span(y0, y1, hole.shape[0]), span(x0, x1, hole.shape[1]), side


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

    ``precision="auto"`` is bf16 autocast on AMX CPUs and GPUs, else fp32.
    """

    task = "inpaint"

    def __init__(self, path: str | Path, device: str | torch.device = "cpu", precision: str = "auto"):
        self.net, self.spec = load_net(path, device, channels_last=True)
        if not isinstance(self.net, InpaintGenerator):
            raise ValueError(f"{path}: not an inpainting model (architecture {self.spec['arch']!r})")
        self.device = next(self.net.parameters()).device
        self.dtype = autocast_dtype(self.device, precision)
        self.image_size = int(self.spec.get("image_size", 128))

    @torch.inference_mode()
    def fill(self, image: Tensor, mask: Tensor) -> Tensor:
        """N×3×H×W in [-1, 1] and N×1×H×W masks (1 = hole) → composited, float32 on the CPU."""
        raw = forward(self.net, masked_input(image, mask).to(self.device), self.dtype)
        return composite(image, mask, raw.cpu().clamp(-1, 1))

    def _fill_region(self, rgb: np.ndarray, hole: np.ndarray, side: int) -> np.ndarray:
        """Steps 2-3 for one region (H×W×3 in [0, 1]): its filled version, same size.

        A region to be padded to a square much larger than the model is shrunk first: a hole along
        a 10000×20 strip would otherwise be padded to 10000×10000 pixels (1.2 GB) only to be
        resized to the model's size."""
        h, w = hole.shape
        budget = PAD_BUDGET * self.image_size
        if side > min(h, w) and side > budget:
            k = budget / side
            small_w, small_h = max(1, round(w * k)), max(1, round(h * k))
            small_hole = resize(hole.astype(np.float32), small_w, small_h) > 0  # any overlap is hole
            small = resize(np.where(hole[:, :, None], 0.5, rgb), small_w, small_h)
            return resize(self._fill_region(small, small_hole, budget), w, h)
        pads = ((side - h) // 2, side - h - (side - h) // 2), ((side - w) // 2, side - w - (side - w) // 2)
        rgb = np.pad(np.where(hole[:, :, None], 0.5, rgb), (*pads, (0, 0)), mode="reflect")
        padded_hole = np.pad(hole, pads, mode="reflect").astype(np.float32)
        s = self.image_size
        mask = torch.from_numpy(resize(padded_hole, s, s) > 0).float()[None, None]
        filled = resize(from_tensor(self.fill(to_tensor(resize(rgb, s, s)), mask)), side, side)
        return filled[pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + w]

    def __call__(self, image: Image, hole: np.ndarray) -> Image:
        """Fill ``hole`` (H×W bool, True = missing) of ``image``; an all-False hole is a no-op."""
        check_mask(hole, image)
        rgb = image.rgb.copy()
        if hole.any():
            rows, cols, side = hole_region(hole, self.image_size)
            region_hole = hole[rows, cols]
            filled = self._fill_region(rgb[rows, cols], region_hole, side)
            rgb[rows, cols][region_hole] = filled[region_hole]
        alpha = None if image.alpha is None else image.alpha.copy()
        return Image(rgb, alpha, image.bit_depth, image.gray)

    def inpaint_file(self, src: Path, dst: Path, mask: Path | None = None, seed: int = 0) -> None:
        """Read ``src``, fill the hole of ``mask`` (without one: of :func:`demo_mask` for ``seed``,
        also written, to :func:`mask_path_for`), write ``dst`` as PNG at ``src``'s bit depth."""
        image = read_image(src)
        try:
            hole = read_mask(mask) if mask is not None else demo_mask(image.size, seed, src.stem)
        except ImageReadError as e:
            raise ImageReadError(f"mask {e}") from None
        check_mask(hole, image, f"mask {mask}" if mask is not None else "the random mask")
        filled = self(image, hole)
        if mask is None:  # written once the fill has worked, so a failure leaves no file behind
            write_png(mask_path_for(dst), hole.astype(np.uint8) * 255)
        write_image(dst, filled)
