"""The lecture's inpainting method: search a face GAN's latent space (Yeh et al. 2017, arXiv 1607.07539).

A generator trained on faces can only draw faces. To fill a hole, look for the latent ``z`` whose
face ``G(z)`` agrees with the known pixels, then take the hole from ``G(z)``:

* **context loss**: L1 between ``G(z)`` and the image on the known pixels, each weighted by how
  much of its 7×7 neighbourhood is missing (pixels next to the hole say most about what the hole
  must continue; pixels far from it barely constrain it), as the paper weights it;
* **prior loss** (optional, with the GAN's discriminator): ``λ · softplus(−D(G(z)))``, which keeps
  ``G(z)`` looking real where the context alone would let it drift;
* Adam on ``z`` from several random starts at once; the start with the lowest final loss wins;
* the known pixels are kept exactly; the hole gets ``G(z)``. (The paper blends with Poisson
  editing; a plain composite shows what the latent search itself achieves.)

It works only at the generator's own framing and size (64-px centred faces for ours), and a GAN's
faces are never exactly the person's: the figures of ``ganapps eval inpaint --method latent`` say
what it is good for next to OpenCV and the trained inpainting net. :class:`LatentInpaintPipeline`
brings user photos to that framing (``ganapps inpaint --method latent``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganapps.core.device import autocast

from .base import load_net
from .inpaint import InpaintPipeline


@dataclass(frozen=True)
class LatentSearch:
    steps: int = 300
    lr: float = 0.03
    restarts: int = 4
    prior_weight: float = 0.003  # λ of the prior loss (the paper's 0.003)
    window: int = 7  # neighbourhood of the context weights


def context_weights(known: Tensor, window: int = 7) -> Tensor:
    """Yeh et al.'s weights: for each known pixel, the share of missing pixels in its
    ``window``×``window`` neighbourhood; 0 on the hole.

    >>> known = torch.ones(1, 1, 5, 5); known[..., 2, 2] = 0
    >>> w = context_weights(known, 3)
    >>> float(w[0, 0, 1, 1]), float(w[0, 0, 0, 0]), float(w[0, 0, 2, 2])
    (0.1111111119389534, 0.0, 0.0)
    """
    missing = 1 - known
    share = F.avg_pool2d(missing, window, stride=1, padding=window // 2, count_include_pad=False)
    return known * share


def latent_fill(
    generator: nn.Module, image: Tensor, known: Tensor, discriminator: nn.Module | None = None,
    search: LatentSearch = LatentSearch(), seed: int = 0,
) -> tuple[Tensor, list[float]]:
    """Fill ``image`` (1×3×S×S in [-1, 1], S the generator's size) where ``known`` (1×1×S×S, 1 =
    known) is 0; returns the completed image and the best start's loss per step."""
    nz = generator.config.nz
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(search.restarts, nz, generator=g).requires_grad_(True)
    weights = context_weights(known, search.window)
    weights = weights / weights.sum().clamp_min(1e-8)
    target = image.expand(search.restarts, -1, -1, -1)
    opt = torch.optim.Adam([z], lr=search.lr)
    for p in generator.parameters():
        p.requires_grad_(False)
    history = []
    for _ in range(search.steps):
        faces = generator(z)
        per_start = ((faces - target).abs().mean(1, keepdim=True) * weights).sum(dim=(1, 2, 3))
        if discriminator is not None and search.prior_weight > 0:
            per_start = per_start + search.prior_weight * F.softplus(-discriminator(faces).flatten(1).mean(1))
        opt.zero_grad()
        per_start.sum().backward()
        opt.step()
        history.append(per_start.detach())
    losses = torch.stack(history)  # steps × restarts
    best = int(losses[-1].argmin())
    with torch.no_grad():
        face = generator(z[best : best + 1])
    return known * image + (1 - known) * face.clamp(-1, 1), losses[:, best].tolist()


class LatentInpaintPipeline(InpaintPipeline):
    """:class:`~.inpaint.InpaintPipeline` (files, masks, the face and whole-image paths, the
    composite) whose fill is :func:`latent_fill` with an unconditional image generator.

    The generator draws whole faces framed as its training images: the centre square of the
    89×109 training faces at its size (64 px for ``faces``). So the square this pipeline fills is
    the centre square of each region the parent hands it (a detected face's training frame, or the
    whole image): brought to the generator's size, searched, and scaled back. Hole pixels outside
    that square cannot come from the generator; OpenCV's Telea fills them. The exported weights
    hold G only, so the search runs without the discriminator's prior.
    """

    search = LatentSearch()  # set on an instance for a shorter or longer search
    seed = 0  # of the search's starts

    def _load(self, path: str | Path, device: str | torch.device) -> tuple[nn.Module, Any, int]:
        """The generator, its metadata and the side of the images it draws."""
        net, spec = load_net(path, device)
        if spec.task != "generate" or getattr(spec, "classes", None) or not hasattr(net, "sample_latent"):
            raise ValueError(f"{path}: --method latent needs an unconditional image generator (task 'generate', e.g. "
                             f"faces), not {spec.arch!r} for {spec.task!r}")
        with torch.no_grad():
            sample = net(net.sample_latent(1, device=next(net.parameters()).device))
        if sample.shape[1] != 3:
            raise ValueError(f"{path}: a {sample.shape[1]}-channel generator cannot fill a colour photo")
        return net, spec, sample.shape[-1]

    def fill(self, image: Tensor, mask: Tensor) -> Tensor:
        """N×3×S×S in [-1, 1] (S the generator's size) and N×1×S×S masks (1 = hole) → composited,
        float32 on the CPU; each image searched on its own, from the same seeded starts."""
        out = []
        with torch.inference_mode(False), torch.enable_grad():  # the search needs gradients, whoever calls
            for x, m in zip(image, mask):
                x, known = x[None].clone().to(self.device), 1 - m[None].clone().to(self.device)
                with autocast(self.device, self.dtype):
                    filled, _ = latent_fill(self.net, x, known, search=self.search, seed=self.seed)
                out.append(filled.float().cpu())
        return torch.cat(out)

    def fill_at(self, rgb: np.ndarray, hole: np.ndarray, width: int, height: int) -> np.ndarray:
        """``rgb`` (H×W×3 in [0, 1]) with its hole filled: the centre square by the generator, the
        rest by Telea. ``width``/``height`` (the parent's working size) do not apply: the generator
        has one size."""
        h, w = hole.shape
        side, s = min(h, w), self.image_size
        square = (slice((h - side) // 2, (h - side) // 2 + side), slice((w - side) // 2, (w - side) // 2 + side))
        out = rgb.copy()
        square_hole = hole[square]
        if square_hole.any():  # the parent's fill at the generator's size: grey hole, resize, fill, resize back
            out[square][square_hole] = super().fill_at(rgb[square], square_hole, s, s)[square_hole]
        outside = hole.copy()
        outside[square] = False
        if outside.any():
            ink = (out * 255).round().astype(np.uint8)
            telea = cv2.inpaint(ink, outside.astype(np.uint8), 3, cv2.INPAINT_TELEA)
            out[outside] = telea[outside].astype(np.float32) / 255
        return out
