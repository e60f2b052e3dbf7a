"""Hole masks for inpainting: free-form brush strokes (DeepFill v2) and boxes, with a set hole ratio.

A mask is an H×W bool array, True = missing. Strokes follow DeepFill v2's generator (Yu et al.
2019, supplementary): a zig-zag polyline of 4–12 vertices with round joints, segments of about an
eighth of the image diagonal, a brush 12–40 px wide at 256 px (scaled with the image), the whole
mask mirrored at random. Boxes, as in LaMa's mixture, stand for the rectangles users erase (text,
logos, a person); one shape in five is a box.

The hole ratio is made, not hoped for: a target pixel count is drawn from the ratio range and
shapes are added one stroke segment (or box) at a time until it is reached. A piece that would
overshoot the upper bound is redrawn at half the size (thinner and shorter), down to one pixel if
need be, so every mask lands inside the range. Everything is drawn from the
``numpy.random.Generator`` passed in: the same seed gives the same mask.
"""
from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np

Piece = Callable[[np.ndarray, float], None]  # draws itself onto a uint8 canvas at a size factor ≤ 1

BOX_SHARE = 0.2
VERTICES = (4, 12)
BRUSH_AT_256 = (12.0, 40.0)
MEAN_ANGLE, ANGLE_RANGE = 2 * math.pi / 5, 2 * math.pi / 15


def parse_ratio(text: str) -> tuple[float, float]:
    """``"0.1-0.2"`` → ``(0.1, 0.2)``: a range of hole ratios (share of the image that is missing).

    >>> parse_ratio("0.2-0.4")
    (0.2, 0.4)
    """
    try:
        lo, hi = (float(v) for v in text.split("-"))
    except ValueError:
        raise ValueError(f"mask ratio {text!r}: write a range such as 0.1-0.2") from None
    if not 0 <= lo <= hi <= 1:
        raise ValueError(f"mask ratio {text!r}: need 0 ≤ low ≤ high ≤ 1")
    return lo, hi


def parse_ratios(text: str) -> list[tuple[float, float]]:
    """Comma-separated ranges, e.g. ``"0.1-0.2,0.2-0.3"`` (the eval buckets)."""
    return [parse_ratio(part.strip()) for part in text.split(",") if part.strip()]


def hole_count_range(h: int, w: int, ratio: tuple[float, float]) -> tuple[int, int]:
    """The smallest and largest number of hole pixels of an h×w mask within ``ratio``."""
    n = h * w
    lo, hi = math.ceil(round(ratio[0] * n, 6)), math.floor(round(ratio[1] * n, 6))
    if lo > hi or hi < 1:
        raise ValueError(f"no {w}×{h} mask has a hole ratio in {ratio[0]:g}-{ratio[1]:g}")
    return lo, hi


def _segment(p0: tuple[float, float], p1: tuple[float, float], width: float) -> Piece:
    """A brush segment with round ends; scaled, it shrinks towards ``p0`` (length and width)."""

    def draw(canvas: np.ndarray, scale: float) -> None:
        end = (p0[0] + (p1[0] - p0[0]) * scale, p0[1] + (p1[1] - p0[1]) * scale)
        a, b = (round(p0[0]), round(p0[1])), (round(end[0]), round(end[1]))
        thickness = max(1, round(width * scale))
        cv2.line(canvas, a, b, 1, thickness)
        for p in (a, b):
            cv2.circle(canvas, p, thickness // 2, 1, -1)

    return draw


def _box(cy: float, cx: float, bh: float, bw: float) -> Piece:
    """A filled rectangle; scaled, it shrinks about its centre (at least one pixel)."""

    def draw(canvas: np.ndarray, scale: float) -> None:
        ph, pw = max(1, round(bh * scale)), max(1, round(bw * scale))
        top, left = max(0, round(cy - ph / 2)), max(0, round(cx - pw / 2))
        canvas[top : top + ph, left : left + pw] = 1

    return draw


def _stroke(rng: np.random.Generator, h: int, w: int) -> list[Piece]:
    """DeepFill v2's free-form stroke: alternating turns around ``MEAN_ANGLE``, one piece per segment."""
    radius = math.hypot(h, w) / 8
    width = rng.uniform(*BRUSH_AT_256) * min(h, w) / 256
    a_min = MEAN_ANGLE - rng.uniform(0, ANGLE_RANGE)
    a_max = MEAN_ANGLE + rng.uniform(0, ANGLE_RANGE)
    x, y = float(rng.integers(0, w)), float(rng.integers(0, h))
    pieces = []
    for i in range(int(rng.integers(VERTICES[0], VERTICES[1] + 1))):
        angle = rng.uniform(a_min, a_max)
        angle = 2 * math.pi - angle if i % 2 == 0 else angle
        r = float(np.clip(rng.normal(radius, radius / 2), 0, 2 * radius))
        nx, ny = float(np.clip(x + r * math.cos(angle), 0, w - 1)), float(np.clip(y + r * math.sin(angle), 0, h - 1))
        pieces.append(_segment((x, y), (nx, ny), width))
        x, y = nx, ny
    return pieces


def _random_box(rng: np.random.Generator, h: int, w: int) -> list[Piece]:
    bh, bw = rng.uniform(0.1, 0.5) * h, rng.uniform(0.1, 0.5) * w
    return [_box(rng.uniform(bh / 2, h - bh / 2), rng.uniform(bw / 2, w - bw / 2), bh, bw)]


def random_mask(size: int | tuple[int, int], ratio: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """An H×W bool mask of strokes and boxes whose hole ratio lies in ``ratio`` (see module docstring).

    >>> m = random_mask(64, (0.2, 0.3), np.random.default_rng(0))
    >>> m.shape, 0.2 <= m.mean() <= 0.3
    ((64, 64), True)
    """
    h, w = (size, size) if isinstance(size, int) else size
    lo, hi = hole_count_range(h, w, ratio)
    target = int(rng.integers(lo, hi + 1))
    mask, count = np.zeros((h, w), np.uint8), 0
    while count < target:
        shape = _random_box if rng.random() < BOX_SHARE else _stroke
        for piece in shape(rng, h, w):
            scale = 1.0
            while True:  # ends: at a small enough scale a piece is one pixel, and count < target ≤ hi
                trial = mask.copy()
                piece(trial, scale)
                n = int(np.count_nonzero(trial))
                if n <= hi:
                    mask, count = trial, n
                    break
                scale /= 2
            if count >= target:
                break
    if rng.random() < 0.5:
        mask = mask[:, ::-1]
    if rng.random() < 0.5:
        mask = mask[::-1]
    return np.ascontiguousarray(mask.astype(bool))
