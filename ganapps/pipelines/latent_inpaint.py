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
faces are never exactly the person's: the figures of ``ganapps eval inpaint`` say what it is good
for next to OpenCV and the trained inpainting net.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


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
