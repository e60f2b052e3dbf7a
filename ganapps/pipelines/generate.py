"""Unconditional synthesis (DCGAN): latent noise → images."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganapps.core.logging import image_grid, to_uint8

from .base import load_net


class GeneratePipeline:
    """``pipe(n, seed)`` → ``n×H×W×C`` uint8 images; the same seed always gives the same images."""

    task = "generate"

    def __init__(self, path: str | Path, device: str = "cpu"):
        self.net, self.spec = load_net(path, device)
        self.device = next(self.net.parameters()).device

    @torch.inference_mode()
    def __call__(self, n: int = 64, seed: int = 0, batch_size: int = 256) -> np.ndarray:
        if n < 1:
            raise ValueError("number of images must be at least 1")
        g = torch.Generator().manual_seed(seed)
        z = self.net.sample_latent(n, generator=g)
        out = [to_uint8(self.net(z[i : i + batch_size].to(self.device))) for i in range(0, n, batch_size)]
        return np.concatenate(out)

    def grid(self, n: int = 64, seed: int = 0) -> np.ndarray:
        """The same ``n`` samples tiled into one image (H×W×C uint8), ready for ``write_png``."""
        return image_grid(self.tensors(n, seed))

    @torch.inference_mode()
    def tensors(self, n: int, seed: int = 0, batch_size: int = 256) -> torch.Tensor:
        """Samples as floats in [-1, 1] (for evaluation)."""
        g = torch.Generator().manual_seed(seed)
        z = self.net.sample_latent(n, generator=g)
        return torch.cat([self.net(z[i : i + batch_size].to(self.device)).cpu() for i in range(0, n, batch_size)])
