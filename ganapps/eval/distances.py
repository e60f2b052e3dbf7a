"""Fréchet distance and kernel inception distance (KID) between two sets of feature vectors.

Both are computed in float64 with torch alone (no scipy): the Fréchet term ``tr sqrt(S1 S2)`` is
the sum of square roots of the eigenvalues of ``sqrt(S1) S2 sqrt(S1)``, which is symmetric PSD, so
``eigh`` is exact and stable where a general matrix square root is not.
"""
from __future__ import annotations

import torch
from torch import Tensor


def _sqrtm_psd(m: Tensor) -> Tensor:
    vals, vecs = torch.linalg.eigh(m)
    return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T


def frechet_distance(a: Tensor, b: Tensor) -> float:
    """``||mu_a - mu_b||^2 + tr(S_a + S_b - 2 sqrt(S_a S_b))`` for N×D feature matrices; rounding
    can take the formula a hair below zero for equal sets, and a distance is never negative.

    >>> x = torch.randn(500, 4, dtype=torch.float64)
    >>> round(frechet_distance(x, x), 6)
    0.0
    """
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    root_a = _sqrtm_psd(cov_a)
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    return max(0.0, float((mu_a - mu_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * cross))


def kernel_distance(a: Tensor, b: Tensor, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> float:
    """KID (Bińkowski et al. 2018): unbiased MMD² with the kernel ``(x·y/d + 1)^3``, averaged
    over random subsets (as in the reference implementation)."""
    a, b = a.double(), b.double()
    d = a.shape[1]
    m = min(subset_size, len(a), len(b))
    g = torch.Generator().manual_seed(seed)
    total = 0.0
    for _ in range(subsets):
        x = a[torch.randperm(len(a), generator=g)[:m]]
        y = b[torch.randperm(len(b), generator=g)[:m]]
        kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
        off = (kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        total += float(off - 2 * kxy.mean())
    return total / subsets
