"""Bicubic resizing as MATLAB's ``imresize`` does it, in torch, for whole batches.

The SR literature makes its low-resolution images with MATLAB ``imresize(hr, 1/s, 'bicubic')``, and
published PSNRs are only comparable when we do the same. OpenCV/PIL "bicubic" differ: a different
cubic (a=-0.75), no antialiasing, other boundary handling. MATLAB's recipe, for scale factor ``f``:

* cubic kernel with a = -0.5 (Keys 1981);
* when downscaling (``f < 1``) the kernel is stretched by ``1/f`` and its height scaled by ``f``
  (antialiasing), so every input pixel contributes;
* output pixel ``u`` (1-based) samples input position ``u/f + (1 - 1/f)/2``;
* the weights of each output pixel are normalised to sum to 1, and indices falling off the image
  are mirrored with the edge pixel repeated (symmetric padding).

The result is separable, so each axis becomes a dense (out × in) matrix and a resize is two matrix
products: exact, batched, and fast for the image sizes SR works with. :func:`imresize` matches
MATLAB on double input. MATLAB on uint8 input (how the benchmarks' LR images were made) resizes the
height first and rounds to uint8 after each pass; :func:`degrade` does the same, and reproduces the
LR_x4 images shipped with Set5, Set14 and BSD100 exactly away from their borders (at the border
they differ because those LR images were made before the HR images were cropped).

>>> x = torch.ones(1, 3, 8, 8)
>>> imresize(x, 0.25).shape
torch.Size([1, 3, 2, 2])
"""
from __future__ import annotations

import functools
import math

import torch
from torch import Tensor


def cubic(x: Tensor) -> Tensor:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``'bicubic'``)."""
    ax = x.abs()
    ax2, ax3 = ax * ax, ax * ax * ax
    near = (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))
    return near + far


def output_length(length: int, factor: float) -> int:
    """MATLAB's ``ceil(length * factor)``, robust to float error (``9 * (1/3)`` is 3, not 4)."""
    exact = length * factor
    return round(exact) if abs(exact - round(exact)) < 1e-6 else math.ceil(exact)


@functools.lru_cache(maxsize=64)
def resize_matrix(in_len: int, out_len: int, factor: float, antialias: bool = True) -> Tensor:
    """The (out_len × in_len) float64 matrix that resizes one axis, boundary mirroring folded in."""
    stretch = factor < 1 and antialias
    width = 4.0 / factor if stretch else 4.0
    u = torch.arange(1, out_len + 1, dtype=torch.float64)
    centre = u / factor + 0.5 * (1 - 1 / factor)
    left = torch.floor(centre - width / 2)
    taps = math.ceil(width) + 2
    idx = left[:, None] + torch.arange(taps, dtype=torch.float64)[None]  # 1-based, may fall outside
    dist = centre[:, None] - idx
    w = factor * cubic(factor * dist) if stretch else cubic(dist)
    w = w / w.sum(dim=1, keepdim=True)
    mirror = torch.cat([torch.arange(in_len), torch.arange(in_len - 1, -1, -1)])  # 0-based, symmetric
    src = mirror[(idx.long() - 1) % (2 * in_len)]
    return torch.zeros(out_len, in_len, dtype=torch.float64).scatter_add_(1, src, w)


def _resize_axis(x: Tensor, factor: float, dim: int, antialias: bool = True) -> Tensor:
    n = x.shape[dim]
    m = resize_matrix(n, output_length(n, factor), factor, antialias).to(x.device, x.dtype)
    return m @ x if dim == -2 else x @ m.T


def imresize(x: Tensor, factor: float, antialias: bool = True) -> Tensor:
    """Resize the last two axes of ``x`` by ``factor`` (0.25 = ×4 down, 4 = ×4 up), MATLAB-style.

    Works on any float tensor ``(..., H, W)``; the value range does not matter (the op is linear).
    """
    if factor <= 0:
        raise ValueError(f"resize factor must be positive, not {factor}")
    if not x.is_floating_point():
        raise TypeError(f"imresize needs a float tensor, not {x.dtype}")
    dtype = torch.promote_types(x.dtype, torch.float32)  # bf16/fp16 accumulate poorly over 18 taps
    y = _resize_axis(_resize_axis(x.to(dtype), factor, -2, antialias), factor, -1, antialias)
    return y.to(x.dtype)


def _round8(v: Tensor) -> Tensor:
    """Grey levels 0..255 rounded as MATLAB's uint8 cast does (half away from zero, saturating)."""
    return torch.floor(v + 0.5).clamp(0, 255)


def quantize8(x: Tensor) -> Tensor:
    """Round [-1, 1] images to the 256 levels an 8-bit file holds."""
    return _round8((x + 1) * 127.5) / 127.5 - 1


def degrade(hr: Tensor, scale: int, quantize: bool = True) -> Tensor:
    """The SR literature's LR image: MATLAB ``imresize(hr, 1/scale)`` with antialiasing.

    ``hr`` is ``(..., H, W)`` in [-1, 1] with H and W multiples of ``scale`` (see :func:`modcrop`).
    With ``quantize`` (the default) it is MATLAB on a uint8 image exactly: ``hr`` is taken to 8-bit
    levels, then height pass, round, width pass, round, in float64 so rounding ties fall as MATLAB's.
    """
    h, w = hr.shape[-2:]
    if h % scale or w % scale:
        raise ValueError(f"HR size {h}×{w} is not a multiple of the scale {scale}; crop it first (modcrop)")
    if not quantize:
        return imresize(hr, 1 / scale)
    levels = _round8((hr.double() + 1) * 127.5)
    levels = _round8(_resize_axis(levels, 1 / scale, -2))
    levels = _round8(_resize_axis(levels, 1 / scale, -1))
    return (levels / 127.5 - 1).to(hr.dtype)


def modcrop(x: Tensor, scale: int) -> Tensor:
    """Crop the bottom/right so both sides are multiples of ``scale`` (the benchmarks' convention)."""
    h, w = x.shape[-2:]
    return x[..., : h - h % scale, : w - w % scale]
