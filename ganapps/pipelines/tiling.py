"""Overlap-blend tiling: run any image→image function on images of any size in bounded memory.

The input is cut into ``tile``×``tile`` tiles that share ``overlap`` pixels with their neighbours,
spread evenly so no tile is a sliver. Tiles go through ``fn`` in batches, one row of tiles at a
time, and each output tile is added into the output with a weight that is

* 0 over the outer quarter of every shared strip: the context the net needs so its zero padding
  at the tile edge never reaches a kept pixel;
* a linear cross-fade over the middle half of the strip: any remaining difference between the two
  tiles fades smoothly instead of meeting at a seam;
* 1 everywhere else (and at the image border, which no neighbour covers).

Along each axis the cross-fades of successive strips never overlap (tiles are spread evenly and
``overlap ≤ tile/2``), so the weights of all tiles sum to exactly 1 at every pixel: no weight
canvas and no normalisation. Output rows above the next tile row are final and are handed to the
caller at once (:func:`tiled_bands`), so the float working memory is one tile row of output,
whatever the image height; :func:`tiled` assembles the bands into one tensor.

>>> x = torch.randn(1, 3, 50, 70)
>>> up = lambda t: torch.nn.functional.interpolate(t, scale_factor=2, mode="nearest")
>>> torch.allclose(tiled(up, x, scale=2, tile=32, overlap=8), up(x))
True
"""
from __future__ import annotations

import math
from typing import Callable, Iterator

import torch
from torch import Tensor

TileFn = Callable[[Tensor], Tensor]


def tile_spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """``[(start, end)]`` of tiles covering ``0..length``, evenly spaced, each sharing ≥ ``overlap``."""
    if length <= tile:
        return [(0, length)]
    n = math.ceil((length - overlap) / (tile - overlap))
    starts = [round(i * (length - tile) / (n - 1)) for i in range(n)]
    return [(s, s + tile) for s in starts]


def _ramp(positions: Tensor, start: float, end: float) -> Tensor:
    """0 before ``start``, 1 after ``end``, linear between (a step at ``start`` when they meet)."""
    if end <= start:
        return (positions >= start).to(positions.dtype)
    return ((positions - start) / (end - start)).clamp(0, 1)


def blend_weights(spans: list[tuple[int, int]], scale: int, overlap: int) -> list[Tensor]:
    """Per tile, its 1-D weight over its output pixels (see the module docstring)."""
    half = scale * overlap / 4  # half-width of the cross-fade, in output pixels
    weights = []
    for i, (a, b) in enumerate(spans):
        centres = torch.arange(a * scale, b * scale, dtype=torch.float64) + 0.5
        w = torch.ones_like(centres)
        if i > 0:  # fade in across the strip shared with the previous tile
            mid = scale * (a + spans[i - 1][1]) / 2
            w *= _ramp(centres, mid - half, mid + half)
        if i < len(spans) - 1:  # fade out across the strip shared with the next tile
            mid = scale * (spans[i + 1][0] + b) / 2
            w *= 1 - _ramp(centres, mid - half, mid + half)
        weights.append(w)
    return weights


def check_tiling(tile: int, overlap: int) -> None:
    """Raise ValueError unless ``tile`` is 0 (off) or positive with ``0 ≤ overlap ≤ tile/2``."""
    if tile < 0 or overlap < 0 or (tile > 0 and 2 * overlap > tile):
        raise ValueError(f"need tile ≥ 0 (0 = off) and 0 ≤ overlap ≤ tile/2, not tile={tile}, overlap={overlap}")


def tiled_bands(
    fn: TileFn, x: Tensor, scale: int, tile: int = 128, overlap: int = 16, batch_size: int = 4
) -> Iterator[tuple[int, Tensor]]:
    """Yield ``(first output row, band)`` pieces of ``fn(x)``, top to bottom, computed tile by tile.

    ``x`` is N×C×H×W; ``fn`` maps a batch of tiles k×C×h×w to k×C'×(scale·h)×(scale·w) (it may move
    tiles to another device and back: the canvas stays on ``x``'s device). ``tile=0`` runs ``fn``
    on the whole image and yields it as one band. Bands are float32.
    """
    check_tiling(tile, overlap)
    if tile == 0:
        yield 0, fn(x).float()
        return
    n, _, h, w = x.shape
    ys, xs = tile_spans(h, tile, overlap), tile_spans(w, tile, overlap)
    wy, wx = blend_weights(ys, scale, overlap), blend_weights(xs, scale, overlap)
    per_call = max(1, batch_size // n)
    band_rows = (ys[0][1] - ys[0][0]) * scale  # every tile row has the same height
    canvas: Tensor | None = None  # output rows from the current tile row's top
    for r, (ya, yb) in enumerate(ys):
        for c0 in range(0, len(xs), per_call):
            cols = range(c0, min(c0 + per_call, len(xs)))
            out = fn(torch.cat([x[:, :, ya:yb, xs[c][0] : xs[c][1]] for c in cols])).float().to(x.device)
            if canvas is None:
                canvas = torch.zeros(n, out.shape[1], band_rows, w * scale, device=x.device)
            for k, c in enumerate(cols):
                weight = (wy[r][:, None] * wx[c][None, :]).to(x.device, torch.float32)
                canvas[:, :, :, xs[c][0] * scale : xs[c][1] * scale] += out[k * n : (k + 1) * n] * weight
        top = ya * scale
        done = ys[r + 1][0] * scale if r + 1 < len(ys) else h * scale  # rows no later tile touches
        yield top, canvas[:, :, : done - top]
        canvas = torch.cat([canvas[:, :, done - top :], torch.zeros_like(canvas[:, :, : done - top])], dim=2)


def tiled(fn: TileFn, x: Tensor, scale: int, tile: int = 128, overlap: int = 16, batch_size: int = 4) -> Tensor:
    """``fn(x)`` computed tile by tile (see :func:`tiled_bands`), as one float32 tensor."""
    out: Tensor | None = None
    for top, band in tiled_bands(fn, x, scale, tile, overlap, batch_size):
        if out is None:
            out = torch.empty(x.shape[0], band.shape[1], x.shape[2] * scale, x.shape[3] * scale, device=band.device)
        out[:, :, top : top + band.shape[2]] = band
    return out
