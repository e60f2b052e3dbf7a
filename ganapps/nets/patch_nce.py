"""PatchNCE (Park et al. 2020, CUT): an output patch should be recognisable as *its* input patch.

The generator's encoder features of the input and of the output are sampled at the same
locations; a small MLP per layer (:class:`PatchSampler`) projects them to unit vectors, and each
output patch must pick its own input patch out of the other sampled locations of the same image
(InfoNCE, :func:`patch_nce`). That keeps content and layout where it is without CycleGAN's second
generator and round trip. The sampler is trained with the generator and never exported.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def patch_nce(q: Tensor, k: Tensor, temperature: float = 0.07) -> Tensor:
    """InfoNCE of N×P×C unit vectors: ``q[n, p]``'s positive is ``k[n, p]``, its negatives the
    other ``P − 1`` patches of the same image; ``k`` is not trained (detached), as in CUT.

    >>> k = F.normalize(torch.randn(1, 16, 8), dim=-1)
    >>> bool(patch_nce(k, k) < patch_nce(k.roll(1, dims=1), k))  # matching patches score lower
    True
    """
    logits = torch.bmm(q.float(), k.detach().float().transpose(1, 2)) / temperature  # N×P×P
    n, p, _ = logits.shape
    return F.cross_entropy(logits.flatten(0, 1), torch.arange(p, device=q.device).repeat(n))


class PatchSampler(nn.Module):
    """Feature maps → ``patches`` sampled locations each, projected by a 2-layer MLP per layer
    to ``dim``-d unit vectors. ``channels``: the channel count of each tapped layer."""

    def __init__(self, channels: list[int], dim: int = 256, patches: int = 256):
        super().__init__()
        self.patches = patches
        self.mlps = nn.ModuleList(nn.Sequential(nn.Linear(c, dim), nn.ReLU(), nn.Linear(dim, dim)) for c in channels)

    def locations(self, features: list[Tensor]) -> list[Tensor]:
        """Random flat indices per layer (at most every location), to sample input and output
        alike; drawn from the global RNG, which checkpoints keep, so a resumed run draws the same."""
        return [torch.randperm(f.shape[2] * f.shape[3])[: self.patches].to(f.device) for f in features]

    def forward(self, features: list[Tensor], locations: list[Tensor]) -> list[Tensor]:
        """N×C×H×W per layer → N×P×dim unit vectors at ``locations``."""
        out = []
        for mlp, f, ids in zip(self.mlps, features, locations):
            flat = f.flatten(2).transpose(1, 2)[:, ids]  # N×P×C
            out.append(F.normalize(mlp(flat.float()), dim=-1))
        return out
