"""Generator and discriminator for unconditional photos (faces) at 32–128 px.

DCGAN's shape (Radford et al. 2016: a latent grows from 4×4 by doubling, BatchNorm and ReLU in G,
LeakyReLU in D) with the three changes that buy the most quality per CPU-hour in the literature:

* G doubles with nearest-neighbour upsampling and a 3×3 convolution, not a transposed
  convolution, so it cannot paint the checkerboard (Odena et al. 2016);
* every layer of D is spectrally normalised (Miyato et al. 2018), which keeps D Lipschitz and its
  gradients useful to G without a gradient penalty's extra backward pass; trained with the hinge
  loss, as SNGAN and BigGAN are;
* every layer of G is spectrally normalised too (SAGAN, Zhang et al. 2019), which keeps one D step
  per G step stable: with SN in D alone a 64-px faces run's G collapsed to one sepia face by
  epoch 13 (`ganapps.tasks.imagegan` has the figures);
* the task keeps an exponential moving average of G's weights, which ships (Yazıcı et al. 2019).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

SIZES = (32, 64, 128)


def _levels(image_size: int) -> int:
    if image_size not in SIZES:
        raise ValueError(f"image size must be one of {', '.join(map(str, SIZES))}, not {image_size}")
    return int(math.log2(image_size // 4))


@dataclass(frozen=True)
class ImageGANGeneratorConfig:
    nz: int = 128
    ngf: int = 64  # channels of the last (full-resolution) level; each coarser level doubles, up to 8·ngf
    image_size: int = 64
    channels: int = 3


@dataclass(frozen=True)
class ImageGANDiscriminatorConfig:
    ndf: int = 64
    image_size: int = 64
    channels: int = 3


def _width(base: int, level_from_top: int, levels: int) -> int:
    """Channels at a level: ``base`` at full resolution, doubling per level down, at most 8·base."""
    return base * min(8, 2 ** (levels - level_from_top))


class ImageGANGenerator(nn.Module):
    """``z`` (N×nz) → images N×C×S×S in [-1, 1]."""

    def __init__(self, config: ImageGANGeneratorConfig = ImageGANGeneratorConfig()):
        super().__init__()
        self.config = c = config
        levels = _levels(c.image_size)
        self.top = _width(c.ngf, 0, levels)
        self.project = spectral_norm(nn.Linear(c.nz, self.top * 16))
        layers: list[nn.Module] = [nn.BatchNorm2d(self.top), nn.ReLU(True)]
        for i in range(levels):
            cin, cout = _width(c.ngf, i, levels), _width(c.ngf, i + 1, levels)
            layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                       spectral_norm(nn.Conv2d(cin, cout, 3, padding=1, bias=False)), nn.BatchNorm2d(cout), nn.ReLU(True)]
        layers += [spectral_norm(nn.Conv2d(c.ngf, c.channels, 3, padding=1)), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        x = self.project(z.reshape(z.shape[0], self.config.nz))
        return self.net(x.view(-1, self.top, 4, 4))

    def sample_latent(self, n: int, generator: torch.Generator | None = None, device=None) -> Tensor:
        """Standard-normal latents; a seeded ``generator`` makes samples reproducible."""
        return torch.randn(n, self.config.nz, generator=generator, device=device)

    def example_input(self) -> Tensor:
        """A latent batch of one, for export/tracing."""
        return torch.zeros(1, self.config.nz)


class ImageGANDiscriminator(nn.Module):
    """Images N×C×S×S → one real/fake score per image (shape N), spectrally normalised."""

    def __init__(self, config: ImageGANDiscriminatorConfig = ImageGANDiscriminatorConfig()):
        super().__init__()
        self.config = c = config
        levels = _levels(c.image_size)
        layers: list[nn.Module] = [spectral_norm(nn.Conv2d(c.channels, c.ndf, 3, padding=1)), nn.LeakyReLU(0.1, True)]
        for i in range(levels):  # full resolution → 4×4, channels doubling up to 8·ndf
            cin, cout = _width(c.ndf, levels - i, levels), _width(c.ndf, levels - i - 1, levels)
            layers += [spectral_norm(nn.Conv2d(cin, cout, 4, stride=2, padding=1)), nn.LeakyReLU(0.1, True)]
        self.features = nn.Sequential(*layers)
        self.score = spectral_norm(nn.Linear(_width(c.ndf, 0, levels) * 16, 1))

    def forward(self, x: Tensor) -> Tensor:
        return self.score(self.features(x).flatten(1)).flatten()
