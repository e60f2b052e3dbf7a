"""Image-folder GAN head: unconditional photos (faces that are not real) from a folder of images.

The nets are :mod:`ganapps.nets.imagegan` (resize-conv G, spectral norm in both nets); the
training is SAGAN's (Zhang et al. 2019): hinge loss, one D step per G step, the two time-scale
update rule (Adam at 1e-4 for G, 4e-4 for D, β = (0, 0.9); Heusel et al. 2017). The first faces
run used SNGAN's setting C instead (SN in D only, both at 2e-4, β = (0.5, 0.999)): D's hinge loss
stayed at 1.5–1.6 of a chance level of 2 for 1,680 steps, it never became a strong judge, and the
live G drew one face in one orange tone by epoch 13 (the EMA hid it as sepia blur). The trainer
keeps an EMA of G (the exported, shipped generator) whose batch-norm statistics
:meth:`ImageGANTask.refresh_statistics` measures on its own samples. The data is augmented by
horizontal flips only: a face is symmetric enough, colour or crop jitter would teach G jittered
faces.

Training photos held out of the run (``--val``) score each epoch by the classifier two-sample test
(:func:`ganapps.eval.two_sample.two_sample_test`: a fresh small CNN's held-out accuracy at
telling them from as many samples; 50% = it cannot), so the shipped epoch is chosen on photos the
run never saw and not on the test faces, which ``ganapps eval generate`` keeps for the final figure.
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
    lr_g: float = 1e-4
    lr_d: float = 4e-4
    betas: tuple[float, float] = (0.0, 0.9)
    samples: int = 64  # images in the fixed-noise grid


class ImageGANTask(Task):
    name = "image-gan"

    def __init__(self, config: ImageGANConfig = ImageGANConfig(), val: Tensor | None = None):
        """``val``: held-out real photos in [-1, 1] at the training size, scored by :meth:`validate`."""
        self.config = c = config
        self.val = val
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
            torch.optim.Adam(self.generators["G"].parameters(), lr=c.lr_g, betas=c.betas),
            torch.optim.Adam(self.discriminators["D"].parameters(), lr=c.lr_d, betas=c.betas),
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

    @torch.no_grad()
    def refresh_statistics(self, generators: dict[str, nn.Module]) -> None:
        """Measure the batch-norm statistics of the (EMA) generators on their own samples: 16
        batches of 64 seeded latents, averaged. Averaged weights with the live G's statistics
        draw shifted colours and blur (BigGAN's "standing statistics" fix the same thing)."""
        G = generators["G"]
        norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        device, was_training = next(G.parameters()).device, G.training
        g = torch.Generator().manual_seed(0)
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches below
        G.train()
        for _ in range(16):
            G(torch.randn(64, self.config.nz, generator=g).to(device))
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        G.train(was_training)

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        G = generators["G"]
        return G(self.fixed_z.to(next(G.parameters()).device))

    def validate(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """``two_sample``: the held-out accuracy of a fresh judge telling the validation photos from
        as many samples of fixed noise (lower is better, 0.5 is the floor); ``two_sample_log_loss``:
        its cross-entropy (higher is better, ln 2 at best), graded where the accuracy sits at 1."""
        if self.val is None:
            return {}
        from ganapps.eval.two_sample import two_sample_test

        G = generators["G"]
        device = next(G.parameters()).device
        z = torch.randn(len(self.val), self.config.nz, generator=torch.Generator().manual_seed(0))
        fake = torch.cat([G(chunk.to(device)).float().cpu() for chunk in z.split(256)])
        with torch.enable_grad():  # the trainer validates under no_grad; the judge trains
            judged = two_sample_test(self.val, fake)
        return {"two_sample": judged["accuracy"], "two_sample_log_loss": judged["log_loss"]}

    def exports(self) -> dict[str, str]:
        return {"generator": "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        return {"task": "generate", "loss": self.config.loss, "image_size": self.config.image_size}


@dataclass
class ImageGANInputs:
    data: Path = option(..., "Folder of photos (or one with train/), e.g. faces; centre squares are used.")
    val: int = option(500, "Training photos held out for validation (two-sample test each epoch), at most a tenth.")


def build(config: ImageGANConfig, inputs: ImageGANInputs, seed: int, batch_size: int) -> tuple[ImageGANTask, Any]:
    from ganapps.data.datasets import ImageFolder, holdout
    from ganapps.eval.two_sample import MIN_IMAGES

    photos = ImageFolder(inputs.data / "train" if (inputs.data / "train").is_dir() else inputs.data, config.image_size)
    val_files: list[Path] = []
    if len(photos.files) // 10 >= MIN_IMAGES:  # a smaller folder trains on every photo, unvalidated
        photos.files, val_files = holdout(photos.files, inputs.val)
    return ImageGANTask(config, photos.stack(val_files) if val_files else None), photos


HEAD = Head(
    "image-gan", "Unconditional GAN on a folder of photos (faces that are not real): spectral norm in G and D, hinge loss, TTUR, EMA of G.",
    ImageGANConfig, ImageGANInputs, build,
    # channels_last: 1.28× faster at 64 px, ngf 32, bf16, one thread (benchmarks/training_speed.py --task image-gan)
    lambda c: Schedule(epochs=40, batch_size=64, ema=0.999, channels_last=True),
)
