"""DCGAN task head: unconditional image synthesis (Fashion-MNIST by default).

Defaults are the paper's: Adam lr 2e-4, beta1 0.5, non-saturating log-loss (BCE with logits).
The D accuracy logged here is the teaching point: it starts near 100% and falls toward 50% as the
generator's samples become hard to tell from real clothes.

``num_classes > 0`` trains the class-conditional nets (``nets/dcgan.py``): real images come with
their dataset labels, fakes with labels drawn uniformly, and the fixed grid has one class per row.

On Fashion-MNIST each epoch is scored on training images held out of the run (``--val``), in the
features of our ``fmnist-classifier``: FID, and for a conditional model the share of samples the
classifier calls the class they were asked for. Why: a conditional run of 25 epochs drew varied
clothes at epochs 3–15 and one picture per class by epoch 25 (FID 154 against the unconditional
model's 63), so the epoch to ship has to be chosen, and the last one need not be it.
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

    def __init__(self, config: DCGANConfig = DCGANConfig(), class_names: list[str] | None = None, val: Tensor | None = None):
        """``class_names``: the labels' names, stored in the weights so prompts can be matched;
        ``val``: held-out real Fashion-MNIST images in [-1, 1], scored against by :meth:`validate`."""
        self.config = c = config
        self.val = val
        self._val_features: Tensor | None = None
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

    @torch.no_grad()
    def validate(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """As many samples as held-out images (fixed noise; a conditional model draws the classes in
        turn), against those images in ``fmnist-classifier``'s features: FID, and for a conditional
        model ``class_hit`` (share called the asked class) and ``class_hit_min`` (its worst class)."""
        if self.val is None:
            return {}
        from ganapps.eval.classifier import predict
        from ganapps.eval.distances import frechet_distance
        from ganapps.eval.generate import asked_class_shares
        from ganapps.pipelines.base import load_net
        from ganapps.weights import resolve

        clf, _ = load_net(resolve("fmnist-classifier"))
        if self._val_features is None:
            self._val_features = predict(clf, self.val)[0]
        G, n, k = generators["G"], len(self.val), self.config.num_classes
        device = next(G.parameters()).device
        z = torch.randn(n, self.config.nz, 1, 1, generator=torch.Generator().manual_seed(0))
        asked = torch.arange(n) % k if k else None
        fake = torch.cat([
            G(z[i : i + 500].to(device), None if asked is None else asked[i : i + 500].to(device)).float().cpu()
            for i in range(0, n, 500)
        ])
        features, probs = predict(clf, fake)
        figures = {"fid": frechet_distance(features, self._val_features)}
        if asked is not None:
            shares = asked_class_shares(probs.argmax(1), asked, self.class_names)
            figures |= {"class_hit": shares.pop("overall"), "class_hit_min": min(shares.values())}
        return figures

    def exports(self) -> dict[str, str]:
        return {"generator": "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        meta: dict[str, Any] = {"task": "generate", "loss": self.config.loss}
        if self.config.num_classes:
            meta["classes"] = list(self.class_names)
        return meta


VAL_IMAGES = 2000


@dataclass
class DCGANInputs:
    data: Path = option(..., "Folder with MNIST-style IDX files (train-images-idx3-ubyte.gz ...).")
    conditional: bool = option(
        False, "Class-conditional (projection D): sample by class or --prompt; names from classes.txt in --data "
        "(one per line), else Fashion-MNIST's for 10 classes.", flag="--conditional/--no-conditional",
    )
    val: int = option(VAL_IMAGES, "Fashion-MNIST training images held out to score each epoch (FID, class hits), at most a tenth.")


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
    from ganapps.eval.generate import FASHION_CLASSES

    dataset = IDXImages(inputs.data, "train")
    count = int(dataset.labels.max()) + 1
    names = class_names(inputs.data, count) if inputs.conditional else None
    # fmnist-classifier can only judge Fashion-MNIST: 28 px, its ten classes, no other names given
    fashion = count == 10 and tuple(dataset.images.shape[-2:]) == (28, 28) and class_names(inputs.data, count) == FASHION_CLASSES
    val = None
    held = min(inputs.val, len(dataset) // 10)
    if held > 0 and fashion:
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))  # the same split every run
        val = dataset.float_images(order[:held])
        dataset.images, dataset.labels = dataset.images[order[held:]], dataset.labels[order[held:]]
    return DCGANTask(replace(config, num_classes=len(names) if names else 0), names, val), dataset


HEAD = Head(
    "dcgan", "DCGAN on Fashion-MNIST (or any MNIST-style IDX data).", DCGANConfig, DCGANInputs, build,
    lambda c: Schedule(epochs=25, batch_size=128, d_steps=5 if c.loss == "wgan-gp" else 1),
)
