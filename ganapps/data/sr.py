"""Super-resolution training data: random HR crops from image folders, their LR made on the fly.

Every random choice (which crop, which of the 8 flips/rotations) is a pure function of
``(seed, index)``. The trainer's exact resume relies on that: a resumed run asks for the same
indices in the same order (see ``EpochSampler``) and so gets the same crops, whatever the number
of loader workers. Few SR training images exist (T91 + BSDS: a few hundred), so one "epoch" shows
each image several times (``repeat``, chosen so an epoch has at least ``min_items`` crops), each
time a different crop.
"""
from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .datasets import SkippedImagesWarning, holdout, warn_skipped
from .degrade import degrade
from .io import ImageReadError, expand_inputs, read_image
from .realistic import degrade_realistic


def dihedral(a: np.ndarray, k: int) -> np.ndarray:
    """One of the 8 symmetries of the square: ``k % 4`` quarter turns, mirrored when ``k >= 4``."""
    a = np.rot90(a, k % 4)
    return a[:, ::-1] if k >= 4 else a


class SRCrops(Dataset):
    """Items ``{"lr", "hr"}``: an HR ``crop``×``crop`` patch in [-1, 1] (CHW) and its bicubic LR.

    ``val=n`` holds ``n`` images (at most a tenth) out of training, listed in ``val_paths``
    (:func:`~ganapps.data.datasets.holdout`).

    Images are decoded once and kept as uint8 (crops are 8-bit, like the benchmarks); images
    smaller than ``crop`` are skipped (``skipped`` lists them), and unreadable files are left out
    with one :class:`~ganapps.data.datasets.SkippedImagesWarning`, as in the other datasets.
    """

    def __init__(
        self, folders: list[str | os.PathLike], scale: int, crop: int = 96, min_items: int = 0, seed: int = 0, val: int = 0
    ):
        if crop % scale:
            raise ValueError(f"crop size {crop} must be a multiple of the scale {scale}")
        paths, problems = expand_inputs([str(f) for f in folders])
        if problems:
            raise ValueError(problems[0])
        self.scale, self.crop, self.seed = scale, crop, seed
        usable: dict[Path, np.ndarray] = {}
        self.skipped: list[Path] = []
        unreadable: list[str] = []
        for p in paths:
            try:
                rgb = read_image(p).rgb
            except ImageReadError as e:
                unreadable.append(str(e))
                continue
            if min(rgb.shape[:2]) < crop:
                self.skipped.append(p)
                continue
            usable[p] = np.round(rgb * 255).astype(np.uint8)
        kept, self.val_paths = holdout(list(usable), val)
        self.images = [usable[p] for p in kept]
        if not self.images:
            first = f"; first unreadable: {unreadable[0]}" if unreadable else ""
            raise ValueError(
                f"no usable training image in {', '.join(map(str, folders))}: {len(self.skipped)} smaller than "
                f"{crop}×{crop} px, {len(unreadable)} unreadable{first}"
            )
        warn_skipped(unreadable)
        if self.skipped:
            warnings.warn(f"skipped {len(self.skipped)} images smaller than {crop} px", SkippedImagesWarning, stacklevel=2)
        self.repeat = max(1, math.ceil(min_items / len(self.images)))

    def __len__(self) -> int:
        return len(self.images) * self.repeat

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        image = self.images[index % len(self.images)]
        rng = np.random.default_rng([self.seed, index])
        h, w = image.shape[:2]
        y, x = int(rng.integers(0, h - self.crop + 1)), int(rng.integers(0, w - self.crop + 1))
        patch = dihedral(image[y : y + self.crop, x : x + self.crop], int(rng.integers(0, 8)))
        hr = torch.from_numpy(np.ascontiguousarray(patch)).permute(2, 0, 1).float() / 127.5 - 1
        return {"lr": self.low_resolution(hr, rng), "hr": hr}

    def samples(self, n: int) -> dict[str, Tensor]:
        """The first ``n`` items stacked: the fixed crops of the per-epoch sample grids."""
        items = [self[i] for i in range(min(n, len(self)))]
        return {k: torch.stack([item[k] for item in items]) for k in ("lr", "hr")}

    def low_resolution(self, hr: Tensor, rng: np.random.Generator) -> Tensor:
        """The LR input of an HR crop: the clean bicubic downscale of the SR benchmarks."""
        return degrade(hr, self.scale)


class RealisticSRCrops(SRCrops):
    """:class:`SRCrops` whose LR inputs went through the second-order blur/resize/noise/JPEG chain
    of :mod:`ganapps.data.realistic` (Real-ESRGAN's), drawn from the item's own ``(seed, index)``
    generator like the crop, so a resumed run sees the same inputs.

    ``clean_share`` of the items keep the clean bicubic downscale instead: a model that only ever
    saw degraded inputs takes a sharp photo's fine texture for noise and wipes it (our first
    real-x4 runs painted a cat's fur as smooth strokes where bicubic keeps it)."""

    def __init__(self, *args: Any, clean_share: float = 0.0, **kwargs: Any):
        if not 0.0 <= clean_share <= 1.0:
            raise ValueError(f"the clean share must lie in [0, 1], not {clean_share}")
        super().__init__(*args, **kwargs)
        self.clean_share = clean_share

    def low_resolution(self, hr: Tensor, rng: np.random.Generator) -> Tensor:
        if rng.random() < self.clean_share:
            return super().low_resolution(hr, rng)
        rgb = ((hr.permute(1, 2, 0).numpy() + 1) / 2).astype(np.float32)
        lr = degrade_realistic(rgb, self.scale, rng)
        return torch.from_numpy(np.ascontiguousarray(lr)).permute(2, 0, 1) * 2 - 1
