"""Realistic low-resolution images: blur, resize, noise and JPEG, twice (Real-ESRGAN's recipe).

A model trained on clean bicubic downscales (``data/degrade.py``) learns to undo exactly one
degradation, which a user's photo never has: it carries a lens's blur, sensor noise, JPEG blocks,
and often an earlier resize. Wang et al. (2021, Real-ESRGAN) showed that a *second-order* chain of
random classical degradations covers those well enough for one model to restore real photos:

1. blur with a random kernel (isotropic or anisotropic Gaussian, generalised Gaussian, plateau),
2. resize by a random factor with a random method (area, bilinear, bicubic),
3. Gaussian or Poisson noise, in colour or grey,
4. JPEG at a random quality,

then the same again with milder settings, a final resize to the target size and, in random order,
a sinc filter (the ringing of sharpened or resampled images) and a last JPEG. The ranges below are
the paper's. Everything draws from the ``numpy.random.Generator`` it is given, and OpenCV's
filters and codecs are deterministic, so a seed fixes the result: an evaluation set built from it
is the same on every run. Images are H×W×3 float32 RGB in [0, 1].
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Stage:
    """The random ranges of one order of degradation."""

    blur_prob: float
    blur_sigma: tuple[float, float]
    resize_up: tuple[float, float]  # factor range when enlarging
    resize_down: tuple[float, float]  # factor range when shrinking
    noise_sigma: tuple[float, float]  # Gaussian noise, on the 0..255 scale
    poisson_scale: tuple[float, float]
    jpeg_quality: tuple[int, int]


FIRST = Stage(1.0, (0.2, 3.0), (1.0, 1.5), (0.15, 1.0), (1.0, 30.0), (0.05, 3.0), (30, 95))
SECOND = Stage(0.8, (0.2, 1.5), (1.0, 1.2), (0.3, 1.0), (1.0, 25.0), (0.05, 2.5), (30, 95))
RESIZE_MODES = (cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC)


def gaussian_kernel(size: int, sigma_x: float, sigma_y: float, angle: float, beta: float = 2.0, plateau: bool = False) -> np.ndarray:
    """A normalised ``size``×``size`` blur kernel: an (an)isotropic Gaussian rotated by ``angle``;
    ``beta`` ≠ 2 makes it a generalised Gaussian (heavier or lighter tails), ``plateau`` the flat-topped
    ``1 / (1 + d^β)``.

    >>> k = gaussian_kernel(7, 1.0, 1.0, 0.0)
    >>> k.shape, round(float(k.sum()), 6), bool(k[3, 3] == k.max())
    ((7, 7), 1.0, True)
    """
    r = np.arange(size, dtype=np.float64) - (size - 1) / 2
    x, y = np.meshgrid(r, r)
    c, s = math.cos(angle), math.sin(angle)
    u, v = (c * x + s * y) / sigma_x, (-s * x + c * y) / sigma_y
    d = np.sqrt(u * u + v * v)
    k = 1 / (1 + d**beta) if plateau else np.exp(-0.5 * d**beta)
    return (k / k.sum()).astype(np.float32)


def random_kernel(rng: np.random.Generator, sigma: tuple[float, float]) -> np.ndarray:
    """One of the paper's blur kernels, its size (7 to 21, odd) and shape drawn from ``rng``."""
    size = int(rng.choice(np.arange(7, 22, 2)))
    kind = rng.choice(["iso", "aniso", "generalised", "plateau"], p=[0.45, 0.25, 0.15, 0.15])
    sx = rng.uniform(*sigma)
    sy = sx if kind == "iso" else rng.uniform(*sigma)
    angle = rng.uniform(-math.pi, math.pi)
    if kind == "generalised":
        return gaussian_kernel(size, sx, sy, angle, beta=rng.uniform(0.5, 4.0))
    if kind == "plateau":
        return gaussian_kernel(size, sx, sy, angle, beta=rng.uniform(1.0, 2.0), plateau=True)
    return gaussian_kernel(size, sx, sy, angle)


def sinc_kernel(size: int, cutoff: float) -> np.ndarray:
    """A separable low-pass ``sin(ωx)/(πx)`` kernel with cutoff ``ω`` (radians per pixel, ≤ π),
    not windowed: its sharp cutoff rings like an over-sharpened or resampled photo."""
    r = np.arange(size, dtype=np.float64) - (size - 1) / 2
    line = np.where(r == 0, cutoff / math.pi, np.sin(cutoff * r) / (math.pi * np.where(r == 0, 1, r)))
    k = np.outer(line, line)
    return (k / k.sum()).astype(np.float32)


def _resize(img: np.ndarray, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    return cv2.resize(img, (max(1, w), max(1, h)), interpolation=int(rng.choice(RESIZE_MODES)))


def add_noise(img: np.ndarray, rng: np.random.Generator, stage: Stage) -> np.ndarray:
    """Gaussian (σ on the 0..255 scale) or Poisson noise, grey for 40% of images, as the paper."""
    gray = rng.random() < 0.4
    shape = img.shape[:2] + ((1,) if gray else (3,))
    if rng.random() < 0.5:
        noise = rng.normal(0, rng.uniform(*stage.noise_sigma) / 255, shape)
    else:  # shot noise: photon counts ∝ intensity, scaled so its strength matches the paper's range
        base = img.mean(axis=2, keepdims=True) if gray else img
        counts = np.clip(base, 0, 1) * 255
        noise = (rng.poisson(counts) - counts) / 255 * rng.uniform(*stage.poisson_scale)
    return np.clip(img + noise.astype(np.float32), 0, 1)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG at ``quality`` (8-bit, as a camera or a website would)."""
    bgr = (np.clip(img[:, :, ::-1], 0, 1) * 255 + 0.5).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise OSError("JPEG encoding failed")
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32) / 255


def _order(img: np.ndarray, rng: np.random.Generator, stage: Stage, size: tuple[int, int]) -> np.ndarray:
    """One order of degradation: blur, random resize (around ``size``), noise, JPEG."""
    if rng.random() < stage.blur_prob:
        img = cv2.filter2D(img, -1, random_kernel(rng, stage.blur_sigma), borderType=cv2.BORDER_REFLECT)
    move = rng.choice(["up", "down", "keep"], p=[0.2, 0.7, 0.1])
    factor = rng.uniform(*stage.resize_up) if move == "up" else rng.uniform(*stage.resize_down) if move == "down" else 1.0
    img = _resize(img, round(size[0] * factor), round(size[1] * factor), rng)
    img = add_noise(img, rng, stage)
    return jpeg(img, int(rng.integers(stage.jpeg_quality[0], stage.jpeg_quality[1] + 1)))


def degrade_realistic(hr: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """An H×W×3 photo → its (H/scale)×(W/scale)×3 low-resolution version through the
    second-order chain; H and W must be multiples of ``scale``.

    >>> hr = np.random.default_rng(0).random((64, 48, 3), dtype=np.float32)
    >>> a = degrade_realistic(hr, 4, np.random.default_rng(7))
    >>> b = degrade_realistic(hr, 4, np.random.default_rng(7))
    >>> a.shape, a.dtype, bool((a == b).all()), bool(0 <= a.min() and a.max() <= 1)
    ((16, 12, 3), dtype('float32'), True, True)
    """
    h, w = hr.shape[:2]
    if h % scale or w % scale:
        raise ValueError(f"image of {w}×{h} px: both sides must be multiples of the scale {scale}")
    img = _order(hr.astype(np.float32), rng, FIRST, (h, w))
    img = _order(img, rng, SECOND, (h // scale, w // scale))  # the second order works around the target size
    img = _resize(img, h // scale, w // scale, rng)
    sinc = sinc_kernel(int(rng.choice(np.arange(7, 22, 2))), rng.uniform(math.pi / 3, math.pi)) if rng.random() < 0.8 else None
    quality = int(rng.integers(30, 96))
    if rng.random() < 0.5:  # the last filter and JPEG in either order
        img = jpeg(img if sinc is None else np.clip(cv2.filter2D(img, -1, sinc, borderType=cv2.BORDER_REFLECT), 0, 1), quality)
    else:
        img = jpeg(img, quality)
        img = img if sinc is None else np.clip(cv2.filter2D(img, -1, sinc, borderType=cv2.BORDER_REFLECT), 0, 1)
    return img.astype(np.float32)
