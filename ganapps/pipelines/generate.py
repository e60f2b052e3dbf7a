"""Synthesis from latent noise (DCGAN, image-folder GAN), optionally of one class (a prompt).

A class-conditional model (weights with ``classes``) draws the asked class for every sample;
asked for none, it draws the classes in turn (sample i is class i mod K), so a grid shows them all.
"""
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
        self.classes: list[str] = list(getattr(self.spec, "classes", None) or [])

    def label(self, prompt: str) -> int:
        """The class a prompt asks for (:func:`ganapps.prompts.match_prompt`); one-line errors."""
        from ganapps.prompts import match_prompt

        if not self.classes:
            raise ValueError("this model is not class-conditional: it takes no prompt")
        return match_prompt(prompt, self.classes)

    def _labels(self, n: int, label: int | None) -> torch.Tensor | None:
        if not self.classes:
            if label is not None:
                raise ValueError("this model is not class-conditional: it takes no class")
            return None
        if label is not None and not 0 <= label < len(self.classes):
            raise ValueError(f"class {label} out of range: the model has {len(self.classes)}")
        return torch.full((n,), label) if label is not None else torch.arange(n) % len(self.classes)

    def __call__(self, n: int = 64, seed: int = 0, label: int | None = None, batch_size: int = 256) -> np.ndarray:
        """``n`` samples as N×H×W×C uint8 (of class ``label``, if given)."""
        return to_uint8(self.tensors(n, seed, label, batch_size))

    def grid(self, n: int = 64, seed: int = 0, label: int | None = None) -> np.ndarray:
        """The same ``n`` samples tiled into one image (H×W×C uint8), ready for ``write_png``."""
        nrow = len(self.classes) if self.classes and label is None and n >= len(self.classes) else None
        return image_grid(self.tensors(n, seed, label), nrow=nrow)

    @torch.inference_mode()
    def tensors(self, n: int, seed: int = 0, label: int | None = None, batch_size: int = 256) -> torch.Tensor:
        """Samples as floats in [-1, 1] (for evaluation)."""
        if n < 1:
            raise ValueError("number of images must be at least 1")
        g = torch.Generator().manual_seed(seed)
        z = self.net.sample_latent(n, generator=g)
        labels = self._labels(n, label)
        out = []
        for i in range(0, n, batch_size):
            args = [z[i : i + batch_size].to(self.device)]
            if labels is not None:
                args.append(labels[i : i + batch_size].to(self.device))
            out.append(self.net(*args).cpu())
        return torch.cat(out)
