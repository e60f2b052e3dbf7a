"""DCGAN task head: unconditional image synthesis (Fashion-MNIST by default).

Defaults are the paper's: Adam lr 2e-4, beta1 0.5, non-saturating log-loss (BCE with logits).
The D accuracy logged here is the teaching point: it starts near 100% and falls toward 50% as the
generator's samples become hard to tell from real clothes.

``num_classes > 0`` trains the class-conditional nets (``nets/dcgan.py``): real images come with
their dataset labels, fakes with labels drawn uniformly, and the fixed grid has one class per row.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganapps.core.losses import get_loss, gradient_penalty
from ganapps.core.task import Task
from ganapps.nets.dcgan import DCGANDiscriminator, DCGANDiscriminatorConfig, DCGANGenerator, DCGANGeneratorConfig

from .head import Head, Schedule, UsageError, option


@dataclass
class DCGANConfig:
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    channels: int = 1
    loss: str = option("vanilla", "GAN loss.", choices=("vanilla", "lsgan", "hinge", "wgan-gp"))
    lr: float = 2e-4
    beta1: float = 0.5
    gp_weight: float = 10.0  # only for wgan-gp
    samples: int = 64  # images in the fixed-noise grid (conditional: num_classes rows of num_classes)
    num_classes: int = 0  # > 0: class-conditional G and projection D


class DCGANTask(Task):
    name = "dcgan"

    def __init__(self, config: DCGANConfig = DCGANConfig(), class_names: list[str] | None = None):
        """``class_names``: the labels' names, stored in the weights so prompts can be matched."""
        self.config = c = config
        self.class_names = class_names or [str(i) for i in range(c.num_classes)]
        self.loss = get_loss(c.loss)
        g_cfg = DCGANGeneratorConfig(c.nz, c.ngf, c.channels, num_classes=c.num_classes)
        d_cfg = DCGANDiscriminatorConfig(c.ndf, c.channels, num_classes=c.num_classes)
        self.generators: dict[str, nn.Module] = {"G": DCGANGenerator(g_cfg)}
        self.discriminators: dict[str, nn.Module] = {"D": DCGANDiscriminator(d_cfg)}
        # Fixed noise from its own seeded generator: the per-epoch grids show the same latents.
        n = c.num_classes**2 if c.num_classes else c.samples
        self.fixed_z = torch.randn(n, c.nz, 1, 1, generator=torch.Generator().manual_seed(1234))
        self.fixed_labels = torch.arange(c.num_classes).repeat_interleave(c.num_classes) if c.num_classes else None

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        betas = (self.config.beta1, 0.999)
        return (
            torch.optim.Adam(self.generators["G"].parameters(), lr=self.config.lr, betas=betas),
            torch.optim.Adam(self.discriminators["D"].parameters(), lr=self.config.lr, betas=betas),
        )

    @staticmethod
    def _real(batch: Any) -> Tensor:
        return batch[0] if isinstance(batch, (list, tuple)) else batch

    def _real_labels(self, batch: Any) -> Tensor | None:
        if not self.config.num_classes:
            return None
        if not isinstance(batch, (list, tuple)):
            raise ValueError("a class-conditional DCGAN needs labelled data (image, label) items")
        return batch[1]

    def generate(self, batch: Any) -> dict[str, Tensor | None]:
        real = self._real(batch)
        z = torch.randn(real.shape[0], self.config.nz, 1, 1, device=real.device)
        labels = None
        if self.config.num_classes:
            labels = torch.randint(self.config.num_classes, (real.shape[0],), device=real.device)
        return {"fake": self.generators["G"](z, labels), "labels": labels}

    def d_loss(self, batch: Any, out: dict[str, Tensor | None]) -> tuple[Tensor, dict[str, float]]:
        real, fake = self._real(batch), out["fake"]
        D = self.discriminators["D"]
        real_labels, fake_labels = self._real_labels(batch), out["labels"]
        real_logits, fake_logits = D(real, real_labels), D(fake, fake_labels)
        loss = self.loss.d(real_logits.float(), fake_logits.float())
        if self.loss.needs_gradient_penalty:
            if self.config.num_classes:
                raise ValueError("wgan-gp is not supported for the class-conditional DCGAN; use vanilla or hinge")
            loss = loss + self.config.gp_weight * gradient_penalty(D, real, fake)
        acc_real, acc_fake = self.loss.accuracy(real_logits, fake_logits)
        return loss, {"d_acc_real": acc_real, "d_acc_fake": acc_fake}

    def g_loss(self, batch: Any, out: dict[str, Tensor | None]) -> tuple[Tensor, dict[str, float]]:
        return self.loss.g(self.discriminators["D"](out["fake"], out["labels"]).float()), {}

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        G = generators["G"]
        device = next(G.parameters()).device
        labels = None if self.fixed_labels is None else self.fixed_labels.to(device)
        return G(self.fixed_z.to(device), labels)

    def exports(self) -> dict[str, str]:
        return {"generator": "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        meta: dict[str, Any] = {"task": "generate", "loss": self.config.loss}
        if self.config.num_classes:
            meta["classes"] = list(self.class_names)
        return meta


@dataclass
class DCGANInputs:
    data: Path = option(..., "Folder with MNIST-style IDX files (train-images-idx3-ubyte.gz ...).")
    conditional: bool = option(
        False, "Class-conditional (projection D): sample by class or --prompt; names from classes.txt in --data "
        "(one per line), else Fashion-MNIST's for 10 classes.", flag="--conditional/--no-conditional",
    )


def class_names(data: Path, count: int) -> list[str]:
    """Class names for a labelled IDX folder: its ``classes.txt``, else Fashion-MNIST's for 10."""
    listed = data / "classes.txt"
    if listed.is_file():
        names = [line.strip() for line in listed.read_text().splitlines() if line.strip()]
        if len(names) < count:
            raise UsageError(f"{listed}: {len(names)} names for {count} classes")
        return names[:count]
    from ganapps.eval.generate import FASHION_CLASSES

    return list(FASHION_CLASSES) if count == 10 else [str(i) for i in range(count)]


def build(config: DCGANConfig, inputs: DCGANInputs, seed: int, batch_size: int) -> tuple[DCGANTask, Any]:
    from ganapps.data.idx import IDXImages

    dataset = IDXImages(inputs.data, "train")
    names = class_names(inputs.data, int(dataset.labels.max()) + 1) if inputs.conditional else None
    return DCGANTask(replace(config, num_classes=len(names) if names else 0), names), dataset


HEAD = Head(
    "dcgan", "DCGAN on Fashion-MNIST (or any MNIST-style IDX data).", DCGANConfig, DCGANInputs, build,
    lambda c: Schedule(epochs=25, batch_size=128, d_steps=5 if c.loss == "wgan-gp" else 1),
)
