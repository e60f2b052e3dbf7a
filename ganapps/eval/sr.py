"""Super-resolution quality as the SR papers report it: PSNR and SSIM on the Y channel.

The protocol (SRCNN onwards; BasicSR's ``calculate_psnr/ssim(test_y_channel=True)``):

* HR images are cropped to a multiple of the scale; LR = MATLAB bicubic on uint8
  (:func:`ganapps.data.degrade.degrade`); the SR output is rounded to 8 bits, as a saved file is;
* both are converted to Y with MATLAB's ``rgb2ycbcr`` (BT.601, studio range):
  ``Y = 16 + 65.481 R + 128.553 G + 24.966 B`` for R, G, B in [0, 1], kept as float;
* ``scale`` pixels are cropped from every border (they depend on padding, not on the method);
* PSNR with peak 255; SSIM (Wang et al. 2004) with an 11×11 Gaussian window, σ = 1.5,
  K1 = 0.01, K2 = 0.03, over 'valid' windows only, averaged.

Beside them, two figures PSNR cannot give: :func:`sharpness` (how much fine structure the output
has against the truth) and the periodic-artifact score of ``eval/scene.py`` (the pixel-shuffle
mesh). And a second kind of input, ``realistic``: the same HR images degraded by the seeded
Real-ESRGAN-style chain of ``data/realistic.py`` instead of a clean bicubic downscale, which is
what users' photos look like.

Computed in float64: the metric should not depend on the accumulation order.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganapps.data.degrade import degrade, imresize, modcrop, quantize8
from ganapps.data.io import expand_inputs, from_tensor, read_image, to_tensor
from ganapps.data.realistic import degrade_realistic
from ganapps.eval.scene import periodic_artifact_score

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


DEGRADATIONS = ("clean", "realistic")  # LR by MATLAB bicubic (the papers') | the seeded second-order chain


def low_resolution(hr: Tensor, scale: int, degradation: str, name: str, seed: int = 0) -> Tensor:
    """The LR input for an HR benchmark image: ``clean`` is the papers' MATLAB bicubic; ``realistic``
    is :func:`~ganapps.data.realistic.degrade_realistic` with a generator seeded by ``seed`` and the
    file ``name``, so a "realistic Set14" is the same set of inputs on every run and machine."""
    if degradation == "clean":
        return degrade(hr, scale)
    if degradation != "realistic":
        raise ValueError(f"degradation must be one of {', '.join(DEGRADATIONS)}, not {degradation!r}")
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    lr = degrade_realistic(from_tensor(hr), scale, rng)
    return quantize8(to_tensor(lr))


def sharpness(sr: Tensor, hr: Tensor, border: int) -> float:
    """Detail of ``sr`` relative to the truth: mean |Laplacian| of its Y over that of ``hr``'s
    (1 = as much fine structure as the original; bicubic ≈ 0.3-0.5 at ×4; above 1: invented edges
    or noise)."""
    lap = torch.tensor([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=torch.float64).view(1, 1, 3, 3)
    energy = lambda t: F.conv2d(_shave(rgb_to_y((quantize8(t.double()) + 1) / 2), border), lap).abs().mean().item()  # noqa: E731
    return energy(sr) / max(energy(hr), 1e-12)


@dataclass
class SetScore:
    images: int
    psnr: float  # means over the set
    ssim: float
    sharpness: float
    grid: float  # median periodic-artifact score of the outputs (eval/scene.py)


def evaluate_folder(
    folder: str | Path, scale: int, methods: dict[str, Upscaler], degradation: str = "clean", seed: int = 0
) -> dict[str, SetScore]:
    """Each method's Y-PSNR/SSIM, sharpness and grid score over the HR images in ``folder``
    (subfolders are ignored), from LR inputs made by ``degradation``."""
    paths, problems = expand_inputs([str(folder)])
    if problems:
        raise ValueError(problems[0])
    rows: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in methods}
    for path in paths:
        hr = quantize8(modcrop(to_tensor(read_image(path).rgb), scale))
        lr = low_resolution(hr, scale, degradation, path.name, seed)
        for name, upscale in methods.items():
            sr = upscale(lr)
            p, s = y_metrics(sr, hr, scale)
            rows[name].append((p, s, sharpness(sr, hr, scale), periodic_artifact_score(sr[0].clamp(-1, 1))))
    scores = {}
    for name, r in rows.items():
        p, s, sharp, grid = (np.array(col) for col in zip(*r))
        scores[name] = SetScore(len(paths), float(p.mean()), float(s.mean()), float(sharp.mean()), float(np.median(grid)))
    return scores


VAL_CROP = 192  # side of the HR centre crop of each validation image: bounds the cost of an epoch's check


def validation_pairs(paths: list[Path], scale: int, degradation: str, crop: int = VAL_CROP) -> list[tuple[Tensor, Tensor]]:
    """(LR, HR) of each image held out of training: its centre square of at most ``crop`` px (a
    multiple of ``scale``), the LR made by :func:`low_resolution` (seeded by the file's name, so
    every epoch is scored on the same inputs)."""
    pairs = []
    for path in paths:
        hr = to_tensor(read_image(path).rgb)
        h, w = hr.shape[-2:]
        side = min(crop, h, w) // scale * scale
        top, left = (h - side) // 2, (w - side) // 2
        hr = quantize8(hr[..., top : top + side, left : left + side])
        pairs.append((low_resolution(hr, scale, degradation, path.name), hr))
    return pairs


def validate_upscaler(net: torch.nn.Module, pairs: list[tuple[Tensor, Tensor]], scale: int) -> dict[str, float]:
    """Means over ``pairs`` of the net's Y-PSNR/SSIM, its PSNR gain over bicubic, sharpness and
    the median grid score: a training run's per-epoch validation figures."""
    device = next(net.parameters()).device
    rows = []
    for lr, hr in pairs:
        sr = net(lr.to(device)).float().cpu().clamp(-1, 1)
        p, s = y_metrics(sr, hr, scale)
        rows.append((p, s, p - y_metrics(imresize(lr, scale).clamp(-1, 1), hr, scale)[0], sharpness(sr, hr, scale),
                     periodic_artifact_score(sr[0])))
    p, s, gain, sharp, grid = (np.array(col) for col in zip(*rows))
    return {"psnr_y": float(p.mean()), "ssim_y": float(s.mean()), "gain_vs_bicubic": float(gain.mean()),
            "sharpness": float(sharp.mean()), "artifact_score": float(np.median(grid))}
