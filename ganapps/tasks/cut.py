"""CUT task head (Park et al. 2020, "Contrastive Unpaired Translation"): one-sided A → B.

One generator ``G``: A → B and one discriminator ``D`` (real B vs G's fakes). Where CycleGAN
needs a second generator and the round trip to keep a translation about its input, CUT asks each
output patch to be recognisable as its own input patch among the image's other patches
(PatchNCE on G's encoder features, ``nets/patch_nce.py``); the same loss between ``b`` and
``G(b)`` (NCE identity) keeps G from changing what already looks like B. A step is about half of
CycleGAN's, and the paper reports horse→zebra FID 45.5 against CycleGAN's 77.2. Paper defaults
(``--CUT_mode CUT``): LSGAN, λ_NCE 1 for both NCE terms (averaged), 256 patches per layer,
temperature 0.07, no image pool, Adam 2e-4 β (0.5, 0.999), constant then linearly decaying LR.

Our generator is the CycleGAN one (resize upsampling, attention by default), so a CUT file runs
through the same translate pipeline. With attention, PatchNCE is met perfectly by an unchanged
image, just as the cycle loss is; it therefore sees the blend with the mask held fixed and the
mask follows the adversarial loss against a sparsity cost, with the same warm-up
(``tasks/unpaired.py``). NCE layers: the input, both downsampling convolutions, the first and the
fifth residual block (the paper's 0, 4, 8, 12, 16 in its layout).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganapps.core.losses import get_loss
from ganapps.core.task import Task
from ganapps.nets.patch_nce import PatchSampler, patch_nce
from ganapps.nets.patchgan import PatchGANConfig, PatchGANDiscriminator
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig, default_blocks

from .augment import center_crop, crop_flip
from .head import Head, Schedule
from .unpaired import (
    UnpairedConfig, UnpairedInputs, ValidationSet, builder, mask_cost_weight, mask_floor, score_translation, translate,
)

MIN_SIZE = 32  # the 70×70 PatchGAN's last layers need a 2×2 map


def nce_taps(n_blocks: int) -> tuple[int, ...]:
    """Indices in ``ResNetGenerator.model`` of the PatchNCE layers: the padded input (0), the two
    stride-2 convolutions (4, 7), the first residual block (10) and the fifth (14) or last.

    >>> nce_taps(6), nce_taps(1)
    ((0, 4, 7, 10, 14), (0, 4, 7, 10))
    """
    return tuple(sorted({0, 4, 7, 10, 9 + min(5, n_blocks)}))


@dataclass
class CUTConfig(UnpairedConfig):
    lambda_nce: float = 1.0
    nce_patches: int = 256


class CUTTask(Task):
    name = "cut"

    def __init__(
        self, config: CUTConfig, sample_batch: dict[str, Tensor], val: dict[str, ValidationSet] | None = None,
        judge: nn.Module | None = None,
    ):
        """``sample_batch``: fixed ``{"A", "B"}`` images for the per-epoch grids; ``val``: held-out
        sets (only ``"A"`` is translated) scored by :meth:`validate` with the A-vs-B ``judge``."""
        if config.image_size < MIN_SIZE:
            raise ValueError(f"image size must be at least {MIN_SIZE} px (the PatchGAN's last layers need a 2×2 map)")
        self.config = c = config
        self.loss = get_loss(c.loss)
        n_blocks = c.n_blocks or default_blocks(c.image_size)
        g = ResNetGenerator(ResNetGeneratorConfig(ngf=c.ngf, n_blocks=n_blocks, upsample=c.upsample, attention=c.attention))
        self.taps = nce_taps(n_blocks)
        with torch.no_grad():
            channels = [f.shape[1] for f in g(torch.zeros(1, 3, MIN_SIZE, MIN_SIZE), taps=self.taps)]
        # F trains with G (it is in the G optimizer and frozen in the D step) but is never exported.
        self.generators: dict[str, nn.Module] = {"G": g, "F": PatchSampler(channels, patches=c.nce_patches)}
        self.discriminators: dict[str, nn.Module] = {"D": PatchGANDiscriminator(PatchGANConfig(in_channels=3, ndf=c.ndf))}
        self.crop_flip = crop_flip(c.image_size)
        self.fixed = {k: center_crop(v[: c.samples], c.image_size) for k, v in sample_batch.items()}
        self.val, self.judge = val or {}, judge
        self.steps = 0  # generator steps taken, for the attention warm-up

    def mask_floor(self) -> float:
        return mask_floor(self.steps, self.config.attention_warmup) if self.config.attention else 0.0

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        betas = (self.config.beta1, 0.999)
        g_params = [p for net in self.generators.values() for p in net.parameters()]
        return (torch.optim.Adam(g_params, lr=self.config.lr, betas=betas),
                torch.optim.Adam(self.discriminators["D"].parameters(), lr=self.config.lr, betas=betas))

    def augment(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """A random crop and mirror of each image, the two domains independently."""
        return {"A": self.crop_flip(batch["A"]), "B": self.crop_flip(batch["B"])}

    def generate(self, batch: dict[str, Tensor]) -> dict[str, Any]:
        """G on A (the translation) and on B (for the NCE identity)."""
        if torch.is_grad_enabled():  # the step's G pass (extra D-only passes run without grad)
            self.steps += 1
        floor, attention, g = self.mask_floor(), self.config.attention, self.generators["G"]
        fake_b, fake_b_nce, mask = translate(g, batch["A"], floor, attention)
        idt_b = translate(g, batch["B"], floor, attention)[1]
        return {"fake_B": fake_b, "fake_B_nce": fake_b_nce, "idt_B": idt_b, "mask": mask, "mask_floor": floor}

    def nce(self, source: Tensor, output: Tensor) -> Tensor:
        """PatchNCE between an image and G's output for it, averaged over the tapped layers."""
        g, sampler = self.generators["G"], self.generators["F"]
        with torch.no_grad():  # the keys are not trained (CUT detaches them): no graph for them
            feat_k = g(source, taps=self.taps)
            ids = sampler.locations(feat_k)
            ks = sampler(feat_k, ids)
        qs = sampler(g(output, taps=self.taps), ids)
        return torch.stack([patch_nce(q, k) for q, k in zip(qs, ks)]).mean()

    def d_loss(self, batch: dict[str, Tensor], out: dict[str, Any]) -> tuple[Tensor, dict[str, float]]:
        d = self.discriminators["D"]
        real, fake = d(batch["B"]).float(), d(out["fake_B"]).float()
        acc_real, acc_fake = self.loss.accuracy(real, fake)
        loss = self.loss.d(real, fake)
        return loss, {"d_acc_real": acc_real, "d_acc_fake": acc_fake}

    def g_loss(self, batch: dict[str, Tensor], out: dict[str, Any]) -> tuple[Tensor, dict[str, float]]:
        c = self.config
        gan = self.loss.g(self.discriminators["D"](out["fake_B"]).float())
        nce_x, nce_y = self.nce(batch["A"], out["fake_B_nce"]), self.nce(batch["B"], out["idt_B"])
        loss = gan + c.lambda_nce * (nce_x + nce_y) / 2
        logs = {"gan_loss": gan.item(), "nce_loss": nce_x.item(), "nce_identity_loss": nce_y.item()}
        if out["mask"] is not None:
            sparsity = out["mask"].float().mean()
            loss = loss + c.lambda_mask * mask_cost_weight(out["mask_floor"]) * sparsity
            logs |= {"mask_mean": sparsity.item(), "mask_floor": out["mask_floor"]}
        return loss, logs

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        """One row per fixed pair: A, G(A), B, G(B) (what G does to an image already of B)."""
        g = generators["G"]
        device = next(g.parameters()).device
        a, b = self.fixed["A"].to(device), self.fixed["B"].to(device)
        return torch.stack([a, g(a), b, g(b)], dim=1).flatten(0, 1)

    def validate(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """Scene figures of A → B on the held-out A images, keys ``AtoB_*`` (as CycleGAN's)."""
        if "A" not in self.val:
            return {}
        found = score_translation(generators["G"], self.val["A"], 1, self.judge)
        return {f"AtoB_{k}": x for k, x in found.items()}

    def exports(self) -> dict[str, str]:
        return {"generator_AtoB": "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        return {"task": "translate", "model": "cut", "image_size": self.config.image_size, "input": "photo",
                "direction": "AtoB", "generator": "G"}

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = int(state.get("steps", 0))


HEAD = Head(
    "cut", "CUT: one-sided unpaired translation trainA → trainB by contrastive patches (e.g. horse → zebra).",
    CUTConfig, UnpairedInputs, builder(CUTTask), lambda c: Schedule(epochs=400, lr_schedule="linear", decay_start=0.5),
    epochs_help="Passes over the larger domain (default 400: 200 constant LR + 200 decay, the paper's).",
)
