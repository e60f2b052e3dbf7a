"""Super-resolution quality as the SR papers report it: PSNR and SSIM on the Y channel.

The protocol (SRCNN onwards; BasicSR's ``calculate_psnr/ssim(test_y_channel=True)``):

* HR images are cropped to a multiple of the scale; LR = MATLAB bicubic on uint8
  (:func:`ganapps.data.degrade.degrade`); the SR output is rounded to 8 bits, as a saved file is;
* both are converted to Y with MATLAB's ``rgb2ycbcr`` (BT.601, studio range):
  ``Y = 16 + 65.481 R + 128.553 G + 24.966 B`` for R, G, B in [0, 1], kept as float;
* ``scale`` pixels are cropped from every border (they depend on padding, not on the method);
* PSNR with peak 255; SSIM (Wang et al. 2004) with an 11×11 Gaussian window, σ = 1.5,
  K1 = 0.01, K2 = 0.03, over 'valid' windows only, averaged.

Computed in float64: the metric should not depend on the accumulation order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ganapps.data.degrade import degrade, imresize, modcrop, quantize8
from ganapps.data.io import expand_inputs, read_image, to_tensor

Upscaler = Callable[[Tensor], Tensor]  # 1×3×h×w in [-1, 1] → 1×3×(sh)×(sw)


def rgb_to_y(x: Tensor) -> Tensor:
    """N×3×H×W RGB in [0, 1] → N×1×H×W luma on the 0..255 scale (16..235), MATLAB ``rgb2ycbcr``."""
    coeffs = torch.tensor([65.481, 128.553, 24.966], dtype=torch.float64, device=x.device)
    return 16 + (x.double() * coeffs.view(1, 3, 1, 1)).sum(dim=1, keepdim=True)


def _shave(x: Tensor, border: int) -> Tensor:
    return x[..., border:-border, border:-border] if border > 0 else x


def psnr(a: Tensor, b: Tensor, border: int = 0) -> float:
    """PSNR in dB (peak 255) between two N×1×H×W images on the 0..255 scale; ``inf`` if equal."""
    mse = (_shave(a, border).double() - _shave(b, border).double()).square().mean().item()
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> Tensor:
    """Normalised 2-D Gaussian (float64), as MATLAB ``fspecial('gaussian', size, sigma)``."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(r**2) / (2 * sigma**2))
    w = g[:, None] * g[None, :]
    return w / w.sum()


def ssim(a: Tensor, b: Tensor, border: int = 0) -> float:
    """Mean SSIM of two N×1×H×W images on the 0..255 scale (Gaussian 11×11, σ 1.5, valid windows)."""
    a, b = _shave(a, border).double(), _shave(b, border).double()
    if min(a.shape[-2:]) < 11:
        raise ValueError(f"SSIM needs images of at least 11×11 px after the border crop, got {tuple(a.shape[-2:])}")
    win = gaussian_window().to(a.device).view(1, 1, 11, 11)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = F.conv2d(a, win), F.conv2d(b, win)
    var_a = F.conv2d(a * a, win) - mu_a**2
    var_b = F.conv2d(b * b, win) - mu_b**2
    cov = F.conv2d(a * b, win) - mu_a * mu_b
    m = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return m.mean().item()


def y_metrics(sr: Tensor, hr: Tensor, scale: int) -> tuple[float, float]:
    """(PSNR, SSIM) on Y of two 1×3×H×W images in [-1, 1], ``scale`` px shaved; SR rounded to 8 bits."""
    to_y = lambda t: rgb_to_y((quantize8(t.double()) + 1) / 2)  # noqa: E731
    ys, yh = to_y(sr), to_y(hr)
    return psnr(ys, yh, scale), ssim(ys, yh, scale)


def bicubic(scale: int) -> Upscaler:
    """The papers' baseline: MATLAB bicubic upscaling (no antialiasing is involved going up)."""
    return lambda lr: imresize(lr, scale)


@dataclass
class SetScore:
    images: int
    psnr: float
    ssim: float


def evaluate_folder(folder: str | Path, scale: int, methods: dict[str, Upscaler]) -> dict[str, SetScore]:
    """Mean Y-PSNR/SSIM of each method over the HR images in ``folder`` (subfolders are ignored)."""
    paths, problems = expand_inputs([str(folder)])
    if problems:
        raise ValueError(problems[0])
    sums = {name: [0.0, 0.0] for name in methods}
    for path in paths:
        hr = quantize8(modcrop(to_tensor(read_image(path).rgb), scale))
        lr = degrade(hr, scale)
        for name, upscale in methods.items():
            p, s = y_metrics(upscale(lr), hr, scale)
            sums[name][0] += p
            sums[name][1] += s
    return {name: SetScore(len(paths), p / len(paths), s / len(paths)) for name, (p, s) in sums.items()}
