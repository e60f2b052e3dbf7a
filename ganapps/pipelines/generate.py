"""Synthesis from latent noise (DCGAN, image-folder GAN), optionally of one class (a prompt).

A class-conditional model (weights with ``classes``) draws the asked class for every sample;
asked for none, it draws the classes in turn (sample i is class i mod K), so a grid shows them all.

A latent walk (:meth:`GeneratePipeline.walk`) moves each sample of a grid through a closed loop of
random latents, spherically interpolated (:func:`slerp`): a Gaussian latent's norm concentrates
near √nz, and a straight line between two latents passes through shorter ones that G rarely saw,
so linear midpoints look washed out where great-circle ones do not (White 2016, "Sampling
Generative Networks").
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganapps.core.logging import image_grid, to_uint8

from .base import load_net


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between latents ``a`` and ``b`` (N×…, one per row) at ``t`` ∈ [0, 1];
    rows that are (anti)parallel fall back to linear interpolation.

    >>> a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    >>> slerp(a, b, 0.5).mul(1000).round().tolist()  # on the circle, not at (0.5, 0.5)
    [[707.0, 707.0]]
    >>> torch.equal(slerp(a, b, 0.0), a) and torch.equal(slerp(a, b, 1.0), b)
    True
    """
    fa, fb = a.flatten(1), b.flatten(1)
    cos = (fa * fb).sum(1) / (fa.norm(dim=1) * fb.norm(dim=1)).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1, 1))[:, None]
    so = torch.sin(omega)
    linear = so.abs() < 1e-6
    wa = torch.where(linear, torch.full_like(so, 1 - t), torch.sin((1 - t) * omega) / so.where(~linear, torch.ones_like(so)))
    wb = torch.where(linear, torch.full_like(so, t), torch.sin(t * omega) / so.where(~linear, torch.ones_like(so)))
    return (wa * fa + wb * fb).reshape(a.shape)


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
        return image_grid(self.tensors(n, seed, label), nrow=self._nrow(n, label))

    def _nrow(self, n: int, label: int | None) -> int | None:
        """A grid of all classes has one class per column; anything else is square."""
        return len(self.classes) if self.classes and label is None and n >= len(self.classes) else None

    def walk(self, n: int = 16, seed: int = 0, label: int | None = None, keyframes: int = 4, steps: int = 12) -> list[np.ndarray]:
        """Grid frames (H×W×C uint8) of a latent walk: ``n`` samples, each through ``keyframes``
        random latents and back to the first, ``steps`` frames per leg. The first frame is
        :meth:`grid` of the same ``n`` and ``seed``."""
        if keyframes < 2 or steps < 1:
            raise ValueError("a walk needs at least 2 keyframes and 1 step per leg")
        g = torch.Generator().manual_seed(seed)
        keys = [self.net.sample_latent(n, generator=g) for _ in range(keyframes)]
        frames = []
        for k in range(keyframes):
            a, b = keys[k], keys[(k + 1) % keyframes]
            for s in range(steps):
                frames.append(image_grid(self.tensors(n, label=label, z=slerp(a, b, s / steps)), nrow=self._nrow(n, label)))
        return frames

    @torch.inference_mode()
    def tensors(
        self, n: int, seed: int = 0, label: int | None = None, batch_size: int = 256, z: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Samples as floats in [-1, 1] (for evaluation); ``z``: these latents instead of ``seed``'s."""
        if n < 1:
            raise ValueError("number of images must be at least 1")
        if z is None:
            z = self.net.sample_latent(n, generator=torch.Generator().manual_seed(seed))
        labels = self._labels(n, label)
        out = []
        for i in range(0, n, batch_size):
            args = [z[i : i + batch_size].to(self.device)]
            if labels is not None:
                args.append(labels[i : i + batch_size].to(self.device))
            out.append(self.net(*args).cpu())
        return torch.cat(out)
