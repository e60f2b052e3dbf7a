"""A deterministic task for checking DDP against one process; run under torchrun by test_scale.py.

DDP's promise is that N processes with batch B/N each take the same step as one process with batch
B. That holds exactly (up to the order of floating-point sums) when the loss is a mean over
independent samples and nothing random differs between the two runs. Our real heads break both on
purpose: DCGAN's BatchNorm normalises with each process's half-batch statistics (SyncBatchNorm is
used on GPUs only), and every head draws noise, masks, crops and flips from a per-rank RNG. So the
equivalence is checked on a small pix2pix-like head without either (instance norm is per sample),
through the real Trainer, sampler and DDP wrapping; the DCGAN run in test_ddp.py checks that the
replicas of a real head stay identical.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import Tensor, nn
from torch.utils.data import TensorDataset

from ganapps.core import distributed as ddp
from ganapps.core.losses import get_loss
from ganapps.core.trainer import TrainConfig, Trainer
from ganapps.nets.patchgan import PatchGANConfig, PatchGANDiscriminator
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from ganapps.core.task import Task

GLOBAL_BATCH, STEPS = 8, 3


class PairsTask(Task):
    name = "pairs"

    def __init__(self) -> None:
        # Affine instance norm, so no conv has a bias: a bias right before a normalisation has a
        # gradient of exactly zero in theory, i.e. rounding noise, which Adam would amplify to ±lr.
        torch.manual_seed(0)
        g_cfg = ResNetGeneratorConfig(ngf=4, n_blocks=1, norm="instance_affine")
        d_cfg = PatchGANConfig(in_channels=3, ndf=4, norm="instance_affine")
        self.generators: dict[str, nn.Module] = {"G": ResNetGenerator(g_cfg)}
        self.discriminators: dict[str, nn.Module] = {"D": PatchGANDiscriminator(d_cfg)}
        self.loss = get_loss("lsgan")

    def optimizers(self):
        return (torch.optim.Adam(self.generators["G"].parameters(), 2e-4, betas=(0.5, 0.999)),
                torch.optim.Adam(self.discriminators["D"].parameters(), 2e-4, betas=(0.5, 0.999)))

    def generate(self, batch: Any) -> Tensor:
        return self.generators["G"](batch[0])

    def d_loss(self, batch: Any, fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        D = self.discriminators["D"]
        return self.loss.d(D(batch[1]), D(fake)), {}

    def g_loss(self, batch: Any, fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        return self.loss.g(self.discriminators["D"](fake)) + F.l1_loss(fake, batch[1]), {}

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        return torch.zeros(1, 3, 8, 8)

    def exports(self) -> dict[str, str]:
        return {}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        return {}


def pairs_dataset(n: int = 16) -> TensorDataset:
    g = torch.Generator().manual_seed(0)
    return TensorDataset(torch.rand(n, 3, 32, 32, generator=g) * 2 - 1, torch.rand(n, 3, 32, 32, generator=g) * 2 - 1)


def train(out: Path) -> tuple[Trainer, Tensor]:
    """Train :class:`PairsTask` for ``STEPS`` steps at ``GLOBAL_BATCH``; (trainer, flat parameters)."""
    task = PairsTask()
    cfg = TrainConfig(out=out, iters=STEPS, batch_size=GLOBAL_BATCH, precision="fp32", progress=False, log_every=1)
    trainer = Trainer(task, pairs_dataset(), cfg)
    trainer.fit()
    nets = [ddp.unwrap(n) for n in (*task.generators.values(), *task.discriminators.values())]
    return trainer, torch.cat([p.detach().flatten() for n in nets for p in n.parameters()])


if __name__ == "__main__":
    out = Path(sys.argv[1])
    trainer, flat = train(out)
    copies = ddp.all_gather_tensor(flat, trainer.dist)
    if trainer.dist.is_main:
        identical = all(torch.equal(copies[0], c) for c in copies[1:])
        save_file({"flat": flat, "identical": torch.tensor(identical), "world": torch.tensor(trainer.dist.world)},
                  str(out / "ddp_params.safetensors"))
    ddp.barrier(trainer.dist)
    ddp.shutdown(trainer.dist)
