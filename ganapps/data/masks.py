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

Two families. :func:`random_mask` is the one above (the eval masks and the first model's training
masks; unchanged, so the eval figures stay comparable). :func:`wide_mask` is the training family
for masks as people paint them (issue 14): strokes from a fine pen to a brush a third of the image
wide, boxes up to 70% of a side, large irregular blobs (LaMa's "large masks" argument: a model
trained only on thin strokes fills a big hole by smearing its border inwards), and boxes and
strokes that start on the image's border, where a hole has context on one side only.
"""
from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np
import torch

Piece = Callable[[np.ndarray, float], None]  # draws itself onto a uint8 canvas at a size factor ≤ 1
Shape = Callable[[np.random.Generator, int, int], list[Piece]]

BOX_SHARE = 0.2
VERTICES = (4, 12)
BRUSH_AT_256 = (12.0, 40.0)
BOX_EXTENT = (0.1, 0.5)  # box side, share of the image's side
WIDE_BRUSH_AT_256 = (4.0, 90.0)
WIDE_BOX_EXTENT = (0.1, 0.7)
BLOB_RADIUS = (0.1, 0.35)  # share of the shorter side
BLOB_PARTS = (3, 6)  # overlapping ellipses per blob
BORDER_DEPTH = (0.1, 0.4)  # how far a border box reaches in, share of the side across the edge
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


def _stroke(
    rng: np.random.Generator, h: int, w: int, brush: tuple[float, float] = BRUSH_AT_256, on_border: bool = False
) -> list[Piece]:
    """DeepFill v2's free-form stroke: alternating turns around ``MEAN_ANGLE``, one piece per segment;
    ``brush`` is its width range at 256 px, ``on_border`` starts it on the image's edge."""
    radius = math.hypot(h, w) / 8
    width = rng.uniform(*brush) * min(h, w) / 256
    a_min = MEAN_ANGLE - rng.uniform(0, ANGLE_RANGE)
    a_max = MEAN_ANGLE + rng.uniform(0, ANGLE_RANGE)
    x, y = _border_point(rng, h, w) if on_border else (float(rng.integers(0, w)), float(rng.integers(0, h)))
    pieces = []
    for i in range(int(rng.integers(VERTICES[0], VERTICES[1] + 1))):
        angle = rng.uniform(a_min, a_max)
        angle = 2 * math.pi - angle if i % 2 == 0 else angle
        r = float(np.clip(rng.normal(radius, radius / 2), 0, 2 * radius))
        nx, ny = float(np.clip(x + r * math.cos(angle), 0, w - 1)), float(np.clip(y + r * math.sin(angle), 0, h - 1))
        pieces.append(_segment((x, y), (nx, ny), width))
        x, y = nx, ny
    return pieces


def _random_box(rng: np.random.Generator, h: int, w: int, extent: tuple[float, float] = BOX_EXTENT) -> list[Piece]:
    bh, bw = rng.uniform(*extent) * h, rng.uniform(*extent) * w
    return [_box(rng.uniform(bh / 2, h - bh / 2), rng.uniform(bw / 2, w - bw / 2), bh, bw)]


def _border_point(rng: np.random.Generator, h: int, w: int) -> tuple[float, float]:
    """A random (x, y) on the image's outer pixel ring."""
    edge, t = int(rng.integers(4)), rng.random()
    return [(t * (w - 1), 0.0), (t * (w - 1), h - 1.0), (0.0, t * (h - 1)), (w - 1.0, t * (h - 1))][edge]


def _border_box(rng: np.random.Generator, h: int, w: int) -> list[Piece]:
    """A box glued to one edge (a cut-off corner, a caption band); scaled, it shrinks onto that edge."""
    edge = int(rng.integers(4))
    along, across = (w, h) if edge < 2 else (h, w)
    span, depth = rng.uniform(0.2, 1.0) * along, rng.uniform(*BORDER_DEPTH) * across
    centre = rng.uniform(span / 2, along - span / 2)

    def draw(canvas: np.ndarray, scale: float) -> None:
        s, d = max(1, round(span * scale)), max(1, round(depth * scale))
        lo = max(0, round(centre - s / 2))
        if edge == 0:
            canvas[:d, lo : lo + s] = 1
        elif edge == 1:
            canvas[h - d :, lo : lo + s] = 1
        elif edge == 2:
            canvas[lo : lo + s, :d] = 1
        else:
            canvas[lo : lo + s, w - d :] = 1

    return [draw]


def _blob(rng: np.random.Generator, h: int, w: int) -> list[Piece]:
    """A large irregular hole: a few rotated ellipses around one centre; scaled, it shrinks about it."""
    side = min(h, w)
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    parts = []
    for _ in range(int(rng.integers(BLOB_PARTS[0], BLOB_PARTS[1] + 1))):
        r = rng.uniform(*BLOB_RADIUS) * side
        offset = rng.normal(0, r / 2, size=2)
        axes = (r * rng.uniform(0.5, 1.0), r * rng.uniform(0.5, 1.0))
        parts.append((offset, axes, float(rng.uniform(0, 180))))

    def draw(canvas: np.ndarray, scale: float) -> None:
        for (dy, dx), (ay, ax), angle in parts:
            centre = (round(cx + dx * scale), round(cy + dy * scale))
            cv2.ellipse(canvas, centre, (max(0, round(ax * scale)), max(0, round(ay * scale))), angle, 0, 360, 1, -1)

    return [draw]


WIDE_SHAPES: list[tuple[float, Shape]] = [  # (share, shape) of :func:`wide_mask`
    (0.35, lambda rng, h, w: _stroke(rng, h, w, WIDE_BRUSH_AT_256)),
    (0.15, lambda rng, h, w: _random_box(rng, h, w, WIDE_BOX_EXTENT)),
    (0.2, _blob),
    (0.15, _border_box),
    (0.15, lambda rng, h, w: _stroke(rng, h, w, WIDE_BRUSH_AT_256, on_border=True)),
]


def random_mask(size: int | tuple[int, int], ratio: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """An H×W bool mask of strokes and boxes whose hole ratio lies in ``ratio`` (see module docstring).

    >>> m = random_mask(64, (0.2, 0.3), np.random.default_rng(0))
    >>> m.shape, bool(0.2 <= m.mean() <= 0.3)
    ((64, 64), True)
    """
    return _grow(size, ratio, rng, lambda r: _random_box if r.random() < BOX_SHARE else _stroke)


def wide_mask(size: int | tuple[int, int], ratio: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """An H×W bool mask of the wide training family (see module docstring) with a hole ratio in ``ratio``.

    >>> m = wide_mask((109, 89), (0.05, 0.6), np.random.default_rng(0))
    >>> m.shape, bool(0.05 <= m.mean() <= 0.6)
    ((109, 89), True)
    """
    shares = np.array([share for share, _ in WIDE_SHAPES])
    return _grow(size, ratio, rng, lambda r: WIDE_SHAPES[int(r.choice(len(shares), p=shares / shares.sum()))][1])


def mixed_mask(size: int | tuple[int, int], ratio: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """A mask of either family, half and half: the wide family's thin strokes are rarer and
    shorter than DeepFill's long zig-zags, the holes on which OpenCV's Telea is hardest to beat.

    >>> m = mixed_mask(64, (0.2, 0.3), np.random.default_rng(0))
    >>> m.shape, bool(0.2 <= m.mean() <= 0.3)
    ((64, 64), True)
    """
    return (random_mask if rng.random() < 0.5 else wide_mask)(size, ratio, rng)


MASK_FAMILIES: dict[str, Callable[[int | tuple[int, int], tuple[float, float], np.random.Generator], np.ndarray]] = {
    "wide": wide_mask,
    "freeform": random_mask,
    "mixed": mixed_mask,
}


def _grow(
    size: int | tuple[int, int],
    ratio: tuple[float, float],
    rng: np.random.Generator,
    pick: Callable[[np.random.Generator], Shape],
) -> np.ndarray:
    """Add shapes chosen by ``pick`` piece by piece until a drawn hole-pixel target is reached,
    halving any piece that would overshoot the range; then mirror at random."""
    h, w = (size, size) if isinstance(size, int) else size
    lo, hi = hole_count_range(h, w, ratio)
    target = int(rng.integers(lo, hi + 1))
    mask, count = np.zeros((h, w), np.uint8), 0
    while count < target:
        for piece in pick(rng)(rng, h, w):
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


# ------------------------------------------------------------------ fixed masks for measuring
def eval_mask(size: int | tuple[int, int], ratio: tuple[float, float], seed: int, i: int, family: str = "freeform") -> np.ndarray:
    """Image ``i``'s H×W bool mask of one bucket, drawn by the mask ``family`` of
    :data:`~ganapps.data.masks.MASK_FAMILIES`: a function of (seed, i, size, the bucket's range)."""
    bucket = [round(1000 * r) for r in ratio]
    return MASK_FAMILIES[family](size, ratio, np.random.default_rng([seed, i, *bucket]))


def eval_masks(n: int, size: int, ratio: tuple[float, float], seed: int, family: str = "freeform") -> torch.Tensor:
    """N×1×S×S masks of one bucket (:func:`eval_mask` for i = 0 … n-1)."""
    return torch.stack([torch.from_numpy(eval_mask(size, ratio, seed, i, family)) for i in range(n)]).float()[:, None]
