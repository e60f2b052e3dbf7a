"""Image-folder GAN head: unconditional photos (faces that are not real) from a folder of images.

The nets are :mod:`ganapps.nets.imagegan` (resize-conv G, spectrally normalised D); the loss is
the hinge loss, Adam at 2e-4 with β = (0.0, 0.9) as in SNGAN, and the trainer keeps an EMA of G
(the exported, shipped generator). The data is augmented by horizontal flips only: a face is
symmetric enough, colour or crop jitter would teach G jittered faces.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganapps.core.losses import get_loss
from ganapps.core.task import Task
from ganapps.nets.imagegan import (
    ImageGANDiscriminator,
    ImageGANDiscriminatorConfig,
    ImageGANGenerator,
    ImageGANGeneratorConfig,
    SIZES,
)

from .head import Head, Schedule, option


@dataclass
class ImageGANConfig:
    image_size: int = option(64, "Image side.", flag="--size", choices=SIZES)
    nz: int = 128
    width: int = option(64, "Width of G and D at full resolution.", flag="--ngf")
    loss: str = "hinge"
    lr: float = 2e-4
    betas: tuple[float, float] = (0.0, 0.9)
    samples: int = 64  # images in the fixed-noise grid


class ImageGANTask(Task):
    name = "image-gan"

    def __init__(self, config: ImageGANConfig = ImageGANConfig()):
        self.config = c = config
        self.loss = get_loss(c.loss)
        g_cfg = ImageGANGeneratorConfig(nz=c.nz, ngf=c.width, image_size=c.image_size)
        d_cfg = ImageGANDiscriminatorConfig(ndf=c.width, image_size=c.image_size)
        self.generators: dict[str, nn.Module] = {"G": ImageGANGenerator(g_cfg)}
        self.discriminators: dict[str, nn.Module] = {"D": ImageGANDiscriminator(d_cfg)}
        # Fixed noise from its own seeded generator: the per-epoch grids show the same latents.
        self.fixed_z = torch.randn(c.samples, c.nz, generator=torch.Generator().manual_seed(1234))

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        c = self.config
        return (
            torch.optim.Adam(self.generators["G"].parameters(), lr=c.lr, betas=c.betas),
            torch.optim.Adam(self.discriminators["D"].parameters(), lr=c.lr, betas=c.betas),
        )

    def augment(self, real: Tensor) -> Tensor:
        """Mirror half the real images at random."""
        flip = torch.rand(real.shape[0], 1, 1, 1, device=real.device) < 0.5
        return torch.where(flip, real.flip(-1), real)

    def generate(self, real: Tensor) -> Tensor:
        """As many fakes as real images."""
        return self.generators["G"](torch.randn(real.shape[0], self.config.nz, device=real.device))

    def d_loss(self, real_images: Tensor, fake_images: Tensor) -> tuple[Tensor, dict[str, float]]:
        D = self.discriminators["D"]
        real, fake = D(real_images).float(), D(fake_images).float()
        acc_real, acc_fake = self.loss.accuracy(real, fake)
        return self.loss.d(real, fake), {"d_acc_real": acc_real, "d_acc_fake": acc_fake}

    def g_loss(self, real_images: Tensor, fake_images: Tensor) -> tuple[Tensor, dict[str, float]]:
        return self.loss.g(self.discriminators["D"](fake_images).float()), {}

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        G = generators["G"]
        return G(self.fixed_z.to(next(G.parameters()).device))

    def exports(self) -> dict[str, str]:
        return {"generator": "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        return {"task": "generate", "loss": self.config.loss, "image_size": self.config.image_size}


@dataclass
class ImageGANInputs:
    data: Path = option(..., "Folder of photos (or one with train/), e.g. faces; centre squares are used.")


def build(config: ImageGANConfig, inputs: ImageGANInputs, seed: int, batch_size: int) -> tuple[ImageGANTask, Any]:
    from ganapps.data.datasets import ImageFolder

    folder = inputs.data / "train" if (inputs.data / "train").is_dir() else inputs.data
    return ImageGANTask(config), ImageFolder(folder, config.image_size)


HEAD = Head(
    "image-gan", "Unconditional GAN on a folder of photos (faces that are not real): SN discriminator, hinge loss, EMA of G.",
    ImageGANConfig, ImageGANInputs, build, lambda c: Schedule(epochs=40, batch_size=64, ema=0.999),
)
