"""DCGAN generator and discriminator for small (28×28) images, after Radford et al. 2016.

Paper rules kept: strided (transposed) convolutions instead of pooling, BatchNorm in both nets
(not on D's input layer nor G's output), ReLU in G with tanh output, LeakyReLU(0.2) in D, weights
drawn from N(0, 0.02). The 28-px layout is 7 → 14 → 28, as in the Keras Fashion-MNIST tutorial.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class DCGANGeneratorConfig:
    nz: int = 100  # latent size
    ngf: int = 64  # width of the last hidden layer
    channels: int = 1
    image_size: int = 28


@dataclass(frozen=True)
class DCGANDiscriminatorConfig:
    ndf: int = 64
    channels: int = 1
    image_size: int = 28


def _check_size(size: int) -> None:
    if size != 28:
        raise ValueError(f"the DCGAN nets are laid out for 28×28 images, not {size}")


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02) for convolutions, N(1, 0.02) for BatchNorm scales (DCGAN paper, section 4)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """``z`` (N×nz, or N×nz×1×1) → images N×C×28×28 in [-1, 1]."""

    def __init__(self, config: DCGANGeneratorConfig = DCGANGeneratorConfig()):
        super().__init__()
        _check_size(config.image_size)
        self.config = c = config
        self.net = nn.Sequential(
            nn.ConvTranspose2d(c.nz, c.ngf * 4, 7, 1, 0, bias=False),  # 1 → 7
            nn.BatchNorm2d(c.ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(c.ngf * 4, c.ngf * 2, 4, 2, 1, bias=False),  # 7 → 14
            nn.BatchNorm2d(c.ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(c.ngf * 2, c.channels, 4, 2, 1, bias=False),  # 14 → 28
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.reshape(z.shape[0], self.config.nz, 1, 1))

    def example_input(self) -> Tensor:
        """A latent batch of one, for export/tracing."""
        return torch.zeros(1, self.config.nz)

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        """Standard-normal latents; a seeded ``generator`` makes samples reproducible."""
        return torch.randn(n, self.config.nz, 1, 1, generator=generator, device=device)


class DCGANDiscriminator(nn.Module):
    """Images N×C×28×28 → one real/fake logit per image (shape N)."""

    def __init__(self, config: DCGANDiscriminatorConfig = DCGANDiscriminatorConfig()):
        super().__init__()
        _check_size(config.image_size)
        self.config = c = config
        self.net = nn.Sequential(
            nn.Conv2d(c.channels, c.ndf, 4, 2, 1, bias=False),  # 28 → 14
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c.ndf, c.ndf * 2, 4, 2, 1, bias=False),  # 14 → 7
            nn.BatchNorm2d(c.ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c.ndf * 2, 1, 7, 1, 0, bias=False),  # 7 → 1
        )
        self.apply(dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten()
