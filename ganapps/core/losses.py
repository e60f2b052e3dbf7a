"""GAN objectives, each stated in a few lines, plus discriminator accuracy and gradient penalty.

Every loss takes raw discriminator outputs (logits / critic scores) and returns a scalar. The
discriminator's *decision threshold* is what turns its scores into real/fake guesses for the
accuracy that the trainer logs: 0 for log-loss and hinge (sigmoid 0.5), 0.5 for LSGAN (targets 1/0),
and for WGAN the midpoint between the batch's mean real and mean fake scores (a critic has no
absolute scale, so only the ordering means anything).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def _vanilla_d(real: Tensor, fake: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(
        fake, torch.zeros_like(fake)
    )


def _vanilla_g(fake: Tensor) -> Tensor:
    # The non-saturating form from Goodfellow et al.: maximise log D(G(z)).
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def _lsgan_d(real: Tensor, fake: Tensor) -> Tensor:
    return 0.5 * (F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake)))


def _lsgan_g(fake: Tensor) -> Tensor:
    return F.mse_loss(fake, torch.ones_like(fake))


def _hinge_d(real: Tensor, fake: Tensor) -> Tensor:
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def _wgan_d(real: Tensor, fake: Tensor) -> Tensor:
    return fake.mean() - real.mean()


def _critic_g(fake: Tensor) -> Tensor:
    # Hinge and WGAN share the generator objective: raise the critic's score of fakes.
    return -fake.mean()


@dataclass(frozen=True)
class GANLoss:
    """One adversarial objective: ``d(real, fake)`` for the discriminator, ``g(fake)`` for the generator."""

    name: str
    d: Callable[[Tensor, Tensor], Tensor]
    g: Callable[[Tensor], Tensor]
    threshold: float | None  # None: midpoint of the batch's mean scores (WGAN)
    needs_gradient_penalty: bool = False

    def accuracy(self, real: Tensor, fake: Tensor) -> tuple[float, float]:
        """Share of real scored real and of fakes scored fake, in [0, 1]."""
        real, fake = real.detach().float(), fake.detach().float()
        t = self.threshold
        if t is None:
            t = 0.5 * (real.mean() + fake.mean()).item()
        return (real > t).float().mean().item(), (fake <= t).float().mean().item()


LOSSES: dict[str, GANLoss] = {
    "vanilla": GANLoss("vanilla", _vanilla_d, _vanilla_g, threshold=0.0),
    "lsgan": GANLoss("lsgan", _lsgan_d, _lsgan_g, threshold=0.5),
    "hinge": GANLoss("hinge", _hinge_d, _critic_g, threshold=0.0),
    "wgan-gp": GANLoss("wgan-gp", _wgan_d, _critic_g, threshold=None, needs_gradient_penalty=True),
}


def get_loss(name: str) -> GANLoss:
    try:
        return LOSSES[name]
    except KeyError:
        raise ValueError(f"unknown GAN loss {name!r}; choose one of {', '.join(LOSSES)}") from None


def gradient_penalty(discriminator: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): ``(||grad D(x_hat)|| - 1)^2`` on random interpolates."""
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = discriminator(x_hat)
    (grad,) = torch.autograd.grad(scores.float().sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()


def psnr_rgb(a: Tensor, b: Tensor) -> float:
    """Batch PSNR in dB of [-1, 1] images (peak-to-peak 2): a training-time indicator only."""
    mse = F.mse_loss(a.detach().float().clamp(-1, 1), b.float()).item()
    return 10 * torch.log10(torch.tensor(4.0 / max(mse, 1e-12))).item()


def fft_magnitude_loss(a: Tensor, b: Tensor) -> Tensor:
    """Mean |‖FFT a‖ − ‖FFT b‖| (orthonormal, so on the pixel loss's scale); float32, as FFTs need."""
    fa = torch.fft.rfft2(a.float(), norm="ortho").abs()
    fb = torch.fft.rfft2(b.float(), norm="ortho").abs()
    return F.l1_loss(fa, fb)
