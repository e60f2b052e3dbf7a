"""The pix2pix/CycleGAN augmentation, applied to whole batches: random crop to the training size
(from the slightly larger load size) and random horizontal flip.

It runs in the task rather than in the dataset on purpose: kornia draws its parameters from the
global torch RNG, which the trainer checkpoints, so a resumed run crops and flips exactly as an
uninterrupted one would, whatever the DataLoader's workers do.
"""
from __future__ import annotations

import kornia.augmentation as K
from torch import Tensor, nn


def crop_flip(size: int) -> nn.Module:
    """Per-image random ``size``×``size`` crop (exact slicing, no resampling) and 50% mirror."""
    return K.AugmentationSequential(K.RandomCrop((size, size), cropping_mode="slice"), K.RandomHorizontalFlip())


def center_crop(x: Tensor, size: int) -> Tensor:
    """The centre ``size``×``size`` of N×C×H×W: the deterministic view used for sample grids."""
    top, left = (x.shape[-2] - size) // 2, (x.shape[-1] - size) // 2
    return x[..., top : top + size, left : left + size]
