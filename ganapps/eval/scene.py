"""Did a translation change the animal and keep the scene, and did it leave a grid?

Three figures that need no ground truth, for unpaired translation (horse↔zebra) on images with a
foreground mask (the animal):

* :func:`background_psnr`: PSNR of output vs input *outside* the dilated foreground mask. A model
  that repaints the grass and sky scores low, one that leaves them alone scores high.
* :func:`foreground_change`: mean absolute change inside the mask (on [0, 1]), so that a model
  that changes nothing, which would have a perfect background, cannot pass unnoticed.
* :func:`periodic_artifact_score`: the checkerboard of transposed convolutions and pixel shuffle
  shows as peaks in the spectrum at periods of 2, 4 and 8 pixels. The score is the spectrum's
  magnitude at those frequencies divided by the median magnitude around each, averaged; natural
  photos score a few units, a visible grid several times more.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import Tensor

PERIODS = (2, 4, 8)


def dilate_mask(mask: np.ndarray, fraction: float = 0.03) -> np.ndarray:
    """Grow a boolean H×W mask by ``fraction`` of its shorter side (at least 1 px): the animal's
    outline (mane, tail, hooves) is fuzzy in the masks, and a translation may restyle it too.

    >>> m = np.zeros((100, 100), bool); m[50, 50] = True
    >>> int(dilate_mask(m).sum())  # OpenCV's 7×7 ellipse (radius 3)
    33
    """
    r = max(1, round(fraction * min(mask.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)


def _unit(x: Tensor) -> Tensor:
    """C×H×W in [-1, 1] → [0, 1], float32."""
    return (x.float().clamp(-1, 1) + 1) / 2


def background_psnr(inp: Tensor, out: Tensor, foreground: np.ndarray) -> float:
    """PSNR (dB, peak 1) between ``inp`` and ``out`` (C×H×W in [-1, 1]) over the pixels outside
    ``dilate_mask(foreground)``; ``inf`` where they are equal there, ``nan`` if no background is left.

    >>> x = torch.zeros(3, 8, 8); fg = np.zeros((8, 8), bool); fg[:4] = True
    >>> y = x.clone(); y[:, :2] = 1.0  # change only inside the animal
    >>> background_psnr(x, y, fg)
    inf
    """
    keep = torch.from_numpy(~dilate_mask(foreground))
    if not keep.any():
        return float("nan")
    mse = ((_unit(inp) - _unit(out)) ** 2)[:, keep].mean().item()
    return float("inf") if mse == 0 else 10 * float(np.log10(1.0 / mse))


def foreground_change(inp: Tensor, out: Tensor, foreground: np.ndarray) -> float:
    """Mean absolute difference (on [0, 1]) between ``inp`` and ``out`` inside the (undilated)
    foreground; ``nan`` for an empty mask."""
    inside = torch.from_numpy(foreground.astype(bool))
    if not inside.any():
        return float("nan")
    return (_unit(inp) - _unit(out)).abs()[:, inside].mean().item()


def periodic_artifact_score(image: Tensor, periods: tuple[int, ...] = PERIODS, radius: int = 3) -> float:
    """Mean peak-to-neighbourhood ratio of the spectrum at the grid frequencies of ``periods``.

    ``image``: C×H×W or H×W, any range. The grey image, mean removed and Hann-windowed (so the
    image border makes no cross in the spectrum), is Fourier transformed; for each period ``p``
    and each of the frequencies (H/p, 0), (0, W/p) and (H/p, W/p) a grid of that period puts its
    energy at, the magnitude there is divided by the median magnitude of the surrounding
    (2·radius+1)² bins without the centre. Periods that do not fit 4 times in the image are skipped.

    >>> y, x = torch.meshgrid(torch.arange(64.), torch.arange(64.), indexing="ij")
    >>> smooth = torch.sin(x / 9) + torch.cos(y / 13)
    >>> grid = smooth + 0.2 * ((x % 2) == 0) * ((y % 2) == 0)
    >>> periodic_artifact_score(grid) > 5 * periodic_artifact_score(smooth)
    True
    """
    gray = image.float().mean(0) if image.dim() == 3 else image.float()
    h, w = gray.shape
    window = torch.hann_window(h, periodic=False)[:, None] * torch.hann_window(w, periodic=False)[None]
    mag = torch.fft.fft2((gray - gray.mean()) * window).abs()
    ring = torch.ones(2 * radius + 1, 2 * radius + 1, dtype=torch.bool)
    ring[radius, radius] = False
    ratios = []
    for p in periods:
        if min(h, w) < 4 * p:
            continue
        fy, fx = round(h / p), round(w / p)
        for y, x in ((fy, 0), (0, fx), (fy, fx)):
            ys = torch.arange(y - radius, y + radius + 1) % h
            xs = torch.arange(x - radius, x + radius + 1) % w
            around = mag[ys][:, xs][ring].median()
            ratios.append((mag[y % h, x % w] / around.clamp_min(1e-8)).item())
    if not ratios:
        raise ValueError(f"image of {h}×{w} px is too small for a periodic-artifact score (needs 8 px per side)")
    return float(np.mean(ratios))


def scene_figures(inputs: Tensor, outputs: Tensor, masks: list[np.ndarray] | None = None) -> dict[str, float]:
    """The figures above for a batch (N×C×H×W in [-1, 1]): median artifact score of the outputs,
    and with foreground ``masks`` (one H×W boolean each) the mean background PSNR (an image left
    untouched outside the animal counts as 100 dB) and the mean change inside the animal."""
    figures = {"artifact_score": float(np.median([periodic_artifact_score(o) for o in outputs]))}
    if masks is not None:
        psnr = [min(100.0, background_psnr(i, o, m)) for i, o, m in zip(inputs, outputs, masks)]
        change = [foreground_change(i, o, m) for i, o, m in zip(inputs, outputs, masks)]
        figures["background_psnr"] = float(np.nanmean(psnr))
        figures["foreground_change"] = float(np.nanmean(change))
    return figures
