"""Super-resolution inference: any image file ×2/×4, in memory bounded by the tile size.

Pre/post-processing is :mod:`ganapps.data.io`'s (EXIF orientation, 16-bit, gray, alpha); the net
sees RGB in [-1, 1]. Alpha is not the net's business: it is upscaled with MATLAB-style bicubic in
the same tiles, as a fourth channel, so it stays aligned. The output is produced in bands of rows
(:func:`ganapps.pipelines.tiling.tiled_bands`) and quantized band by band into the final
8/16-bit array, so a 4K frame ×4 never exists as a float image (that alone would be 1.6 GB).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import Tensor

from ganapps.core.device import autocast_dtype, tune_backends
from ganapps.core.metadata import UpscaleMeta
from ganapps.data.degrade import imresize
from ganapps.data.io import Image, from_tensor, png_pixels, read_image, to_tensor, write_pixels

from .base import forward, inference_net, load_net
from .files import Stages
from .memory import ActivationBudget, check_fits
from .tiling import check_tiling, tiled, tiled_bands


class UpscalePipeline:
    """``pipe(image)`` → the image ``pipe.scale`` times larger; ``pipe.upscale_file(src, dst)``.

    ``precision``: ``auto`` (bf16 autocast on CPUs with AMX or AVX512-BF16, and GPUs, else fp32), ``fp32``, ``bf16``,
    ``fp16`` (CUDA), ``int8`` (CPU, ONNX Runtime, ``pipelines/int8.py``). ``tile=0`` runs whole images at once.
    """

    task = "upscale"

    def __init__(
        self,
        path: str | Path,
        device: str | torch.device = "cpu",
        precision: str = "auto",
        tile: int = 128,
        tile_overlap: int = 16,
        tile_batch: int = 4,
    ):
        check_tiling(tile, tile_overlap)
        self.net, self.spec = load_net(path, device, channels_last=True)
        if not isinstance(self.spec, UpscaleMeta) or getattr(self.net, "scale", None) != self.spec.scale:
            # any net that maps an image to one ``net.scale`` times larger, as its metadata says
            raise ValueError(f"{path}: not a super-resolution model (architecture {self.spec.arch!r}, task {self.spec.task!r})")
        self.scale = self.net.scale
        self.device = next(self.net.parameters()).device
        tune_backends(self.device)  # every tile has the same shape
        self.tile, self.tile_overlap, self.tile_batch = tile, tile_overlap, tile_batch
        self.budget = ActivationBudget(self.net, 3, None if precision == "int8" else autocast_dtype(self.device, precision))
        self.net, self.dtype = inference_net(self.net, path, self.device, precision, tile or 64)

    @torch.inference_mode()
    def _run(self, tiles: Tensor) -> Tensor:
        """A batch of tiles (RGB, or RGBA with alpha last) → upscaled, back on the CPU in float32."""
        n, _, h, w = tiles.shape
        advice = "use tiles (--tile 128, the default)" if self.tile == 0 else "use a smaller --tile"
        self.budget.check(n * h * w, self.device, f"upscaling {n} × {w}×{h} px at once", advice)
        t = tiles.to(self.device)
        out = forward(self.net, t[:, :3], self.dtype)
        if t.shape[1] == 4:
            out = torch.cat([out, imresize(t[:, 3:], self.scale)], dim=1)
        return out.cpu()

    def upscale_tensor(self, x: Tensor) -> Tensor:
        """N×3×H×W in [-1, 1] → N×3×(sH)×(sW) float32 on the CPU (unclamped), tiled."""
        return tiled(self._run, x, self.scale, self.tile, self.tile_overlap, self.tile_batch)

    def _bands(self, image: Image) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
        """``(first row, RGB rows in [0, 1], alpha rows or None)`` of the upscaled image."""
        x = to_tensor(image.rgb)
        if image.alpha is not None:
            x = torch.cat([x, torch.from_numpy(image.alpha)[None, None] * 2 - 1], dim=1)
        for top, band in tiled_bands(self._run, x, self.scale, self.tile, self.tile_overlap, self.tile_batch):
            alpha = ((band[0, 3] + 1) / 2).clamp(0, 1).numpy() if band.shape[1] == 4 else None
            yield top, from_tensor(band[:, :3]), alpha

    def __call__(self, image: Image) -> Image:
        """Upscale a decoded image; alpha, bit depth and gray-ness carry over."""
        h, w = (self.scale * n for n in image.size)
        rgb = np.empty((h, w, 3), np.float32)
        alpha = np.empty((h, w), np.float32) if image.alpha is not None else None
        for top, rows, alpha_rows in self._bands(image):
            rgb[top : top + len(rows)] = rows
            if alpha is not None:
                alpha[top : top + len(rows)] = alpha_rows
        return Image(rgb, alpha, image.bit_depth, image.gray)

    def pixels(self, image: Image) -> np.ndarray:
        """The upscaled image as the 8/16-bit array its PNG stores (16-bit if ``image`` was deeper
        than 8 bits), filled band by band: the output never exists in float."""
        depth = 16 if image.bit_depth > 8 else 8
        channels = 4 if image.alpha is not None else 1 if image.gray else 3  # gray+alpha is written as RGBA
        h, w = (self.scale * n for n in image.size)
        check_fits(h * w * channels * depth // 8, torch.device("cpu"), f"the {w}×{h} output", "upscale a smaller image (or x2)")
        pixels = np.empty((h, w, channels), np.uint16 if depth == 16 else np.uint8)
        for top, rows, alpha_rows in self._bands(image):
            pixels[top : top + len(rows)] = png_pixels(rows, alpha_rows, depth, image.gray)
        return pixels

    def upscale_file(self, src: str | Path, dst: str | Path, quality: int | None = None) -> list[str]:
        """Read ``src``, upscale, write ``dst`` in the format its name asks for (16-bit where ``src``
        was deeper than 8 bits and the format can hold it); returns notes on what the format dropped."""
        return write_pixels(dst, self.pixels(read_image(src)), quality)

    def file_stages(self, quality: int | None = None) -> Stages:
        """Decode, upscale, encode: the job of ``ganapps upscale`` for
        :func:`~ganapps.pipelines.files.run_batch` (one image at a time; tiles are batched inside).
        While one output is encoded the next is computed, so two output arrays may be held."""
        write = functools.partial(write_pixels, quality=quality)
        return Stages(read_image, lambda images: [self.pixels(im) for im in images], write)
