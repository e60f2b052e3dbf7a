"""CycleGAN task head (Zhu et al. 2017): unpaired translation between domains A and B.

Two generators, ``G_AB``: A → B and ``G_BA``: B → A, and two discriminators, ``D_A`` (real A vs
``G_BA``'s fakes) and ``D_B`` (real B vs ``G_AB``'s fakes). With no pairs to compare against, the
cycle loss ``|G_BA(G_AB(a)) - a|`` (and its mirror) is what keeps a translated image *about* its
input; the identity loss ``|G_AB(b) - b|`` keeps colours when the input already looks like the
target domain. Paper defaults: LSGAN, λ_cycle 10, λ_identity 0.5 (of λ_cycle), a pool of the 50
last fakes for the discriminators, Adam 2e-4 β1 0.5, constant then linearly decaying learning rate
(trainer ``lr_schedule="linear"``, ``decay_start=0.5``).

Two departures from the paper for new models, both measured reasons in ``nets/resnet_gen.py``:
resize-then-convolve upsampling (no checkerboard) and attention generators that keep the input
where their mask is 0 (the background). Attention needs a warm-up: with the mask free from the
start, the cycle and identity losses (which an unchanged image satisfies perfectly) drive it to 0
everywhere within a few hundred steps, before the discriminators have learned enough to object;
measured on horse↔zebra: mask 0.001 on the animals and the background at step 500, every output
equal to its input. So the mask is raised to ``floor + (1 − floor)·mask`` with a floor falling
linearly from 1 (a plain CycleGAN) to 0 over ``attention_warmup`` steps: the generators first
learn to translate, and the mask then learns where translating is needed. Even under that floor
the identity loss alone pulled the learned mask to 0.000 by step 1,400 (an attention generator
meets it exactly by masking everything out), so with attention the identity loss is off by
default, as in the attention-guided CycleGAN of Mejjati et al. (2018). Without it the cycle loss
still closed the mask (0.000 at step 1,000), so the cycle loss now trains the content only and the
mask is trained by the adversarial loss against a sparsity cost (:meth:`CycleGANTask._translate`). With a held-out validation set (images, and foreground
masks where the dataset has them), :meth:`CycleGANTask.validate` scores both directions at each
epoch end: target-domain rate by a judge classifier, background PSNR, change inside the animal
and the periodic-artifact score (``eval/scene.py``).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganapps.core.losses import get_loss
from ganapps.core.task import Task
from ganapps.nets.patchgan import PatchGANConfig, PatchGANDiscriminator
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig, default_blocks

from .augment import center_crop, crop_flip
from .head import Head, Schedule
from .unpaired import (
    UnpairedConfig, UnpairedInputs, ValidationSet, builder, mask_cost_weight, mask_floor, score_translation, translate,
)

MIN_SIZE = 32  # smallest training crop: the 70×70 PatchGAN's last layers need a 2×2 map


@dataclass
class CycleGANConfig(UnpairedConfig):
    lambda_cycle: float = 10.0
    lambda_identity: float | None = None  # a fraction of lambda_cycle; None: 0.5 (the paper's code), 0 with attention
    pool_size: int = 50


class ImagePool:
    """The discriminators' history buffer (Shrivastava et al. 2017), ``size`` images deep.

    Until full, each new fake is stored and returned. Then each fake is, with probability 1/2,
    swapped for a random stored one (which is returned, and the new fake takes its place), else
    returned as is. A discriminator that sees old fakes too cannot just chase the generator's
    latest trick, which damps oscillation. Randomness comes from the global torch RNG and the
    stored images go through :meth:`state_dict`, so a resumed run draws exactly the same fakes.
    """

    def __init__(self, size: int):
        self.size = size
        self.images: list[Tensor] = []

    def query(self, images: Tensor) -> Tensor:
        """Images to show the discriminator in place of ``images`` (N×C×H×W, detached)."""
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(()).item() < 0.5:
                j = int(torch.randint(len(self.images), ()).item())
                old = self.images[j].to(image.device, image.dtype)
                self.images[j] = image.clone()
                out.append(old)
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict[str, Any]:
        return {"images": [t.cpu() for t in self.images]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.images = list(state["images"])


def cycle_loss(real: Tensor, reconstructed: Tensor) -> Tensor:
    """Mean absolute difference between an image and its round trip through both generators."""
    return F.l1_loss(reconstructed.float(), real.float())


def identity_loss(real: Tensor, same: Tensor) -> Tensor:
    """Mean absolute change a generator makes to an image already of its target domain."""
    return F.l1_loss(same.float(), real.float())


class CycleGANTask(Task):
    name = "cyclegan"

    def __init__(
        self, config: CycleGANConfig, sample_batch: dict[str, Tensor], val: dict[str, ValidationSet] | None = None,
        judge: nn.Module | None = None,
    ):
        """``sample_batch``: fixed ``{"A", "B"}`` images (at load size) for the per-epoch grids;
        ``val``: held-out ``{"A", "B"}`` sets scored by :meth:`validate`, with the A-vs-B ``judge``
        classifier (a domain classifier) when given."""
        if config.image_size < MIN_SIZE:
            raise ValueError(f"image size must be at least {MIN_SIZE} px (the PatchGAN's last layers need a 2×2 map)")
        self.config = c = config
        self.loss = get_loss(c.loss)
        g_cfg = ResNetGeneratorConfig(
            ngf=c.ngf, n_blocks=c.n_blocks or default_blocks(c.image_size), upsample=c.upsample, attention=c.attention
        )
        d_cfg = PatchGANConfig(in_channels=3, ndf=c.ndf)
        self.generators: dict[str, nn.Module] = {"G_AB": ResNetGenerator(g_cfg), "G_BA": ResNetGenerator(g_cfg)}
        self.discriminators: dict[str, nn.Module] = {"D_A": PatchGANDiscriminator(d_cfg), "D_B": PatchGANDiscriminator(d_cfg)}
        self.pool_a, self.pool_b = ImagePool(c.pool_size), ImagePool(c.pool_size)
        self.crop_flip = crop_flip(c.image_size)
        n = c.samples
        self.fixed = {k: center_crop(v[:n], c.image_size) for k, v in sample_batch.items()}
        self.val, self.judge = val or {}, judge
        self.steps = 0  # generator steps taken, for the attention warm-up (saved with the pools)

    def mask_floor(self) -> float:
        """The attention mask's floor at this step (:func:`~ganapps.tasks.unpaired.mask_floor`)."""
        return mask_floor(self.steps, self.config.attention_warmup) if self.config.attention else 0.0

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        betas = (self.config.beta1, 0.999)
        g_params = itertools.chain(*(g.parameters() for g in self.generators.values()))
        d_params = itertools.chain(*(d.parameters() for d in self.discriminators.values()))
        return torch.optim.Adam(g_params, lr=self.config.lr, betas=betas), torch.optim.Adam(d_params, lr=self.config.lr, betas=betas)

    def augment(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """A random crop and mirror of each image, the two domains independently."""
        return {"A": self.crop_flip(batch["A"]), "B": self.crop_flip(batch["B"])}

    def generate(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Translate each way and back."""
        g_ab, g_ba = self.generators["G_AB"], self.generators["G_BA"]
        real_a, real_b = batch["A"], batch["B"]
        if torch.is_grad_enabled():  # the step's G pass (extra D-only passes run without grad)
            self.steps += 1
        floor = self.mask_floor()
        fake_b, cyc_b, mask_b = self._translate(g_ab, real_a, floor)
        fake_a, cyc_a, mask_a = self._translate(g_ba, real_b, floor)
        out = {"fake_A": fake_a, "fake_B": fake_b,
               "rec_A": self._translate(g_ba, cyc_b, floor)[1], "rec_B": self._translate(g_ab, cyc_a, floor)[1]}
        if self.config.attention:
            out |= {"mask_A": mask_a, "mask_B": mask_b, "mask_floor": floor}
        return out

    def _translate(self, g: nn.Module, x: Tensor, floor: float) -> tuple[Tensor, Tensor, Tensor | None]:
        """(output for the discriminator, output for the cycle, mask or None): the cycle loss,
        which an unchanged image meets perfectly, trains only the content, and the mask is trained
        by the adversarial loss against a sparsity cost (:func:`~ganapps.tasks.unpaired.translate`)."""
        return translate(g, x, floor, self.config.attention)

    def d_loss(self, batch: dict[str, Tensor], out: dict[str, Tensor]) -> tuple[Tensor, dict[str, float]]:
        d_a, d_b = self.discriminators["D_A"], self.discriminators["D_B"]
        real_a, fake_a = d_a(batch["A"]).float(), d_a(self.pool_a.query(out["fake_A"])).float()
        real_b, fake_b = d_b(batch["B"]).float(), d_b(self.pool_b.query(out["fake_B"])).float()
        loss_a, loss_b = self.loss.d(real_a, fake_a), self.loss.d(real_b, fake_b)
        acc_real, acc_fake = self.loss.accuracy(torch.cat([real_a, real_b]), torch.cat([fake_a, fake_b]))
        logs = {"d_A_loss": loss_a.item(), "d_B_loss": loss_b.item(), "d_acc_real": acc_real, "d_acc_fake": acc_fake}
        return loss_a + loss_b, logs

    def g_loss(self, batch: dict[str, Tensor], out: dict[str, Tensor]) -> tuple[Tensor, dict[str, float]]:
        c = self.config
        d_a, d_b = self.discriminators["D_A"], self.discriminators["D_B"]
        gan = self.loss.g(d_b(out["fake_B"]).float()) + self.loss.g(d_a(out["fake_A"]).float())
        cycle = cycle_loss(batch["A"], out["rec_A"]) + cycle_loss(batch["B"], out["rec_B"])
        loss = gan + c.lambda_cycle * cycle
        logs = {"gan_loss": gan.item(), "cycle_loss": cycle.item()}
        if c.attention:
            sparsity = out["mask_A"].float().mean() + out["mask_B"].float().mean()
            loss = loss + c.lambda_mask * mask_cost_weight(out["mask_floor"]) * sparsity
            logs |= {"mask_mean": sparsity.item() / 2, "mask_floor": out["mask_floor"]}
        lambda_identity = c.lambda_identity if c.lambda_identity is not None else (0.0 if c.attention else 0.5)
        if lambda_identity > 0:
            floor = out.get("mask_floor", 0.0)
            idt = identity_loss(batch["B"], self.generators["G_AB"](batch["B"], mask_floor=floor)) + identity_loss(
                batch["A"], self.generators["G_BA"](batch["A"], mask_floor=floor)
            )
            loss = loss + c.lambda_cycle * lambda_identity * idt
            logs["identity_loss"] = idt.item()
        return loss, logs

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        """One row per fixed pair: A, G_AB(A), G_BA(G_AB(A)), B, G_BA(B), G_AB(G_BA(B))."""
        g_ab, g_ba = generators["G_AB"], generators["G_BA"]
        device = next(g_ab.parameters()).device
        a, b = self.fixed["A"].to(device), self.fixed["B"].to(device)
        fake_b, fake_a = g_ab(a), g_ba(b)
        row = torch.stack([a, fake_b, g_ba(fake_b), b, fake_a, g_ab(fake_a)], dim=1)  # N×6×C×H×W
        return row.flatten(0, 1)

    @torch.no_grad()
    def validate(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """Scene figures of both directions on the held-out sets, keys ``AtoB_*`` and ``BtoA_*``
        (``target_rate``: share the judge calls the target domain; ``mask_mean``: the attention
        mask's mean); {} without a validation set."""
        figures: dict[str, float] = {}
        for direction, source, name in (("AtoB", "A", "G_AB"), ("BtoA", "B", "G_BA")):
            if source in self.val:
                found = score_translation(generators[name], self.val[source], 1 if source == "A" else 0, self.judge)
                figures |= {f"{direction}_{k}": x for k, x in found.items()}
        return figures

    def exports(self) -> dict[str, str]:
        return {"generator_AtoB": "G_AB", "generator_BtoA": "G_BA"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        direction = stem.removeprefix("generator_")
        return {"task": "translate", "model": "cyclegan", "image_size": self.config.image_size, "input": "photo",
                "direction": direction, "generator": self.exports()[stem]}

    def state_dict(self) -> dict[str, Any]:
        """The image pools: part of the training state, so a resume shows D the same old fakes."""
        return {"pool_A": self.pool_a.state_dict(), "pool_B": self.pool_b.state_dict(), "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pool_a.load_state_dict(state["pool_A"])
        self.pool_b.load_state_dict(state["pool_B"])
        self.steps = int(state.get("steps", 0))


HEAD = Head(
    "cyclegan", "CycleGAN: unpaired translation between trainA and trainB (e.g. horse ↔ zebra).",
    CycleGANConfig, UnpairedInputs, builder(CycleGANTask),
    lambda c: Schedule(epochs=200, lr_schedule="linear", decay_start=0.5),
    epochs_help="Passes over the larger domain (default 200: 100 constant LR + 100 decay).",
)
