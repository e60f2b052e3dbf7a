"""DCGAN generator and discriminator for small (28×28) images, after Radford et al. 2016.

Paper rules kept: strided (transposed) convolutions instead of pooling, BatchNorm in both nets
(not on D's input layer nor G's output), ReLU in G with tanh output, LeakyReLU(0.2) in D, weights
drawn from N(0, 0.02). The 28-px layout is 7 → 14 → 28, as in the Keras Fashion-MNIST tutorial.

With ``num_classes > 0`` both nets are class-conditional, as in SNGAN-projection (Miyato & Koyama
2018): G's batch norms take a per-class scale and shift (conditional batch norm), so the label
steers every layer, and D is a *projection* discriminator: its score is the unconditional one plus
the inner product of a class embedding with its pooled features, so it judges "is this a real image
*of this class*". That D is SNGAN's spectrally normalised CNN, not the paper's batch-normalised
one (a batch of mixed classes would share statistics across the classes D is asked to tell
apart), meant for the hinge loss as there (`--loss hinge`). Why: the
first conditional nets (the label embedding concatenated to G's noise, a batch-normalised D) drew
one picture per class after four epochs on Fashion-MNIST. ``num_classes = 0`` is the paper's
unconditional DCGAN, key for key.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm


@dataclass(frozen=True)
class DCGANGeneratorConfig:
    nz: int = 100  # latent size
    ngf: int = 64  # width of the last hidden layer
    channels: int = 1
    image_size: int = 28
    num_classes: int = 0  # > 0: class-conditional (a label per sample)


@dataclass(frozen=True)
class DCGANDiscriminatorConfig:
    ndf: int = 64
    channels: int = 1
    image_size: int = 28
    num_classes: int = 0  # > 0: projection discriminator


def _check_size(size: int) -> None:
    if size != 28:
        raise ValueError(f"the DCGAN nets are laid out for 28×28 images, not {size}")


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02) for convolutions, N(1, 0.02) for BatchNorm scales (DCGAN paper, section 4)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d) and module.affine:  # a conditional one keeps its scale apart
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _check_labels(labels: Tensor | None, num_classes: int, n: int) -> None:
    if num_classes and (labels is None or labels.shape != (n,)):
        raise ValueError(f"a class-conditional net needs one label per sample (shape ({n},))")
    if not num_classes and labels is not None:
        raise ValueError("this net is unconditional: it takes no labels")


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm whose scale and shift are looked up per sample's class (de Vries et al. 2017)."""

    def __init__(self, features: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(features, affine=False)
        self.scale = nn.Embedding(num_classes, features)
        self.shift = nn.Embedding(num_classes, features)
        nn.init.normal_(self.scale.weight, 1.0, 0.02)  # as dcgan_init draws a BatchNorm's scale
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        scale, shift = self.scale(labels).to(x.dtype), self.shift(labels).to(x.dtype)
        return self.norm(x) * scale[:, :, None, None] + shift[:, :, None, None]


class DCGANGenerator(nn.Module):
    """``z`` (N×nz, or N×nz×1×1) [and ``labels`` (N,) if conditional] → images N×C×28×28 in [-1, 1]."""

    def __init__(self, config: DCGANGeneratorConfig = DCGANGeneratorConfig()):
        super().__init__()
        _check_size(config.image_size)
        self.config = c = config

        def norm(features: int) -> nn.Module:
            return ConditionalBatchNorm2d(features, c.num_classes) if c.num_classes else nn.BatchNorm2d(features)

        self.net = nn.Sequential(
            nn.ConvTranspose2d(c.nz, c.ngf * 4, 7, 1, 0, bias=False),  # 1 → 7
            norm(c.ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(c.ngf * 4, c.ngf * 2, 4, 2, 1, bias=False),  # 7 → 14
            norm(c.ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(c.ngf * 2, c.channels, 4, 2, 1, bias=False),  # 14 → 28
            nn.Tanh(),
        )
        self.apply(dcgan_init)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        _check_labels(labels, self.config.num_classes, z.shape[0])
        x = z.reshape(z.shape[0], self.config.nz, 1, 1)
        if labels is None:
            return self.net(x)
        for layer in self.net:
            x = layer(x, labels) if isinstance(layer, ConditionalBatchNorm2d) else layer(x)
        return x

    def example_input(self) -> Tensor:
        """A latent batch of one, for export/tracing."""
        return torch.zeros(1, self.config.nz)

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        """Standard-normal latents; a seeded ``generator`` makes samples reproducible."""
        return torch.randn(n, self.config.nz, 1, 1, generator=generator, device=device)


class DCGANDiscriminator(nn.Module):
    """Images N×C×28×28 [and ``labels`` (N,) if conditional] → one real/fake logit per image (shape N).

    Conditional, it is SNGAN's "standard CNN" discriminator scaled to 28 px (Miyato et al. 2018,
    table 3: 3×3 and 4×4 stride-2 convolutions, LeakyReLU 0.1, spectral norm on every layer) with a
    projection head on its sum-pooled features. Why not the paper's three layers with spectral norm:
    with every layer's gain held at 1, so shallow a net could not separate real from fake at all
    (hinge D loss still 1.7 after 120 steps) and G drew flat grey after an epoch."""

    def __init__(self, config: DCGANDiscriminatorConfig = DCGANDiscriminatorConfig()):
        super().__init__()
        _check_size(config.image_size)
        self.config = c = config
        if c.num_classes:
            self.net = _projection_body(c.channels, c.ndf)
            self.linear = spectral_norm(nn.Linear(c.ndf * 4, 1))
            self.embed = spectral_norm(nn.Embedding(c.num_classes, c.ndf * 4))
            return
        self.net = nn.Sequential(
            nn.Conv2d(c.channels, c.ndf, 4, 2, 1, bias=False),  # 28 → 14
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c.ndf, c.ndf * 2, 4, 2, 1, bias=False),  # 14 → 7
            nn.BatchNorm2d(c.ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c.ndf * 2, 1, 7, 1, 0, bias=False),  # 7 → 1
        )
        self.apply(dcgan_init)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        _check_labels(labels, self.config.num_classes, x.shape[0])
        if labels is None:
            return self.net(x).flatten()
        features = self.net(x).sum((2, 3))  # N × 4ndf
        projection = (self.embed(labels).to(features.dtype) * features).sum(1)
        return self.linear(features).flatten() + projection


def _projection_body(channels: int, ndf: int) -> nn.Sequential:
    """28 → 14 → 7 px, widths ndf → 2ndf → 4ndf, every convolution spectrally normalised."""
    layers: list[nn.Module] = []
    widths = [(channels, ndf, 3, 1), (ndf, ndf, 4, 2), (ndf, ndf * 2, 3, 1), (ndf * 2, ndf * 2, 4, 2), (ndf * 2, ndf * 4, 3, 1)]
    for cin, cout, k, stride in widths:
        layers += [spectral_norm(nn.Conv2d(cin, cout, k, stride, 1)), nn.LeakyReLU(0.1, True)]
    return nn.Sequential(*layers)
