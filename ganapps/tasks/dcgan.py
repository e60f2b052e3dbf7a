"""DCGAN task head: unconditional image synthesis (Fashion-MNIST by default).

Defaults are the paper's: Adam lr 2e-4, beta1 0.5, non-saturating log-loss (BCE with logits).
The D accuracy logged here is the teaching point: it starts near 100% and falls toward 50% as the
generator's samples become hard to tell from real clothes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganapps.core.losses import get_loss, gradient_penalty
from ganapps.nets.dcgan import DCGANDiscriminator, DCGANDiscriminatorConfig, DCGANGenerator, DCGANGeneratorConfig


@dataclass
class DCGANConfig:
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    channels: int = 1
    loss: str = "vanilla"
    lr: float = 2e-4
    beta1: float = 0.5
    gp_weight: float = 10.0  # only for wgan-gp
    samples: int = 64  # images in the fixed-noise grid


class DCGANTask:
    name = "dcgan"

    def __init__(self, config: DCGANConfig = DCGANConfig()):
        self.config = c = config
        self.loss = get_loss(c.loss)
        self.generators: dict[str, nn.Module] = {"G": DCGANGenerator(DCGANGeneratorConfig(c.nz, c.ngf, c.channels))}
        self.discriminators: dict[str, nn.Module] = {"D": DCGANDiscriminator(DCGANDiscriminatorConfig(c.ndf, c.channels))}
        # Fixed noise from its own seeded generator: the per-epoch grids show the same latents.
        self.fixed_z = torch.randn(c.samples, c.nz, 1, 1, generator=torch.Generator().manual_seed(1234))

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        betas = (self.config.beta1, 0.999)
        return (
            torch.optim.Adam(self.generators["G"].parameters(), lr=self.config.lr, betas=betas),
            torch.optim.Adam(self.discriminators["D"].parameters(), lr=self.config.lr, betas=betas),
        )

    @staticmethod
    def _real(batch: Any) -> Tensor:
        return batch[0] if isinstance(batch, (list, tuple)) else batch

    def generate(self, batch: Any) -> Tensor:
        real = self._real(batch)
        z = torch.randn(real.shape[0], self.config.nz, 1, 1, device=real.device)
        return self.generators["G"](z)

    def d_loss(self, batch: Any, fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        real = self._real(batch)
        D = self.discriminators["D"]
        real_logits, fake_logits = D(real), D(fake)
        loss = self.loss.d(real_logits.float(), fake_logits.float())
        if self.loss.needs_gradient_penalty:
            loss = loss + self.config.gp_weight * gradient_penalty(D, real, fake)
        acc_real, acc_fake = self.loss.accuracy(real_logits, fake_logits)
        return loss, {"d_acc_real": acc_real, "d_acc_fake": acc_fake}

    def g_loss(self, batch: Any, fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        return self.loss.g(self.discriminators["D"](fake).float()), {}

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        G = generators["G"]
        return G(self.fixed_z.to(next(G.parameters()).device))

    def exports(self) -> dict[str, str]:
        return {"generator": "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        return {"task": "generate", "loss": self.config.loss}
