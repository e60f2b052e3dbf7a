"""Real-world super-resolution head: Real-ESRGAN's recipe (Wang et al. 2021), sized for CPUs.

The SRGAN head learns to undo a clean bicubic downscale and nothing else; on a user's photo, with
its blur, noise and JPEG blocks, it gains nothing over bicubic. Here every LR input is made from
its HR crop by the random second-order degradation chain of ``data/realistic.py``, so the model
learns to restore as well as enlarge. The nets are the compact all-low-resolution generator of
``nets/compact_sr.py`` (ICNR-initialised: no checkerboard to unlearn) and the per-pixel U-Net
discriminator with spectral normalisation of ``nets/unet_disc.py``.

Two phases, as Real-ESRNet then Real-ESRGAN: ``--adv-weight 0`` trains the generator alone on
L1 (no discriminator, no D step); then ``--adv-weight 0.1 --init <phase 1 weights>`` adds the
adversarial term. Real-ESRGAN's third loss, VGG features, needs a pretrained VGG we cannot
download; the L1 distance between FFT magnitudes (as in our SRGAN) stands in for it, rewarding
high-frequency energy without demanding the exact phase. The trainer keeps an EMA of the
generator (0.999, as Real-ESRGAN), which is what gets exported.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganapps.core.losses import fft_magnitude_loss, get_loss, psnr_rgb
from ganapps.core.task import Task
from ganapps.data.degrade import imresize
from ganapps.nets.compact_sr import CompactSR, CompactSRConfig
from ganapps.nets.unet_disc import UNetDiscriminator, UNetDiscriminatorConfig

from .head import Head, Schedule, UsageError, option

STEPS_PER_EPOCH = 1000  # an "epoch" of random crops, whatever the folder size
VAL_IMAGES = 20  # training images held out for validation by default
CLEAN_SHARE = 0.25  # of training inputs: the clean bicubic downscale, not the realistic chain


@dataclass
class RealSRConfig:
    scale: int = option(4, "Upscaling factor: 2 or 4.", choices=(2, 4))
    width: int = option(64, "Generator channels.")
    depth: int = option(16, "Generator 3×3 convs at the low resolution (Real-ESRGAN's general model: 32).")
    adv_weight: float = option(0.1, "Weight of the adversarial loss; 0 trains the generator alone (phase 1, L1 only).")
    fft_weight: float = 0.1  # stands in for the VGG perceptual loss (GAN phase only)
    # U-Net D width. Real-ESRGAN's 64 faces a 16.7 M-parameter G; against this compact G a width of 32
    # made phase 2 9× slower per step than phase 1 (4.72 vs 0.52 s, batch 16, 128 px crops, bf16, one
    # thread of an AMD EPYC without AMX; benchmarks/training_speed.py --task real-sr), 16: 4.1×.
    ndf: int = 16
    lr: float = 2e-4
    samples: int = 3  # crops in the sample grid


class RealSRTask(Task):
    name = "real-sr"

    def __init__(self, config: RealSRConfig, samples: dict[str, Tensor]):
        self.config = c = config
        self.loss = get_loss("vanilla")
        self.generators: dict[str, nn.Module] = {"G": CompactSR(CompactSRConfig(c.scale, c.width, c.depth))}
        self.discriminators: dict[str, nn.Module] = {}
        if c.adv_weight > 0:  # phase 2; phase 1 trains G alone
            self.discriminators["D"] = UNetDiscriminator(UNetDiscriminatorConfig(ndf=c.ndf))
        self.fixed = samples
        self.val: list[tuple[Tensor, Tensor]] = []  # held-out (realistic LR, HR) pairs, set by build()
        self.val_clean: list[tuple[Tensor, Tensor]] = []  # the same images downscaled cleanly

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer | None]:
        def adam(nets: dict[str, nn.Module]) -> torch.optim.Optimizer:
            return torch.optim.Adam([p for n in nets.values() for p in n.parameters()], self.config.lr, betas=(0.9, 0.99))

        return adam(self.generators), adam(self.discriminators) if self.discriminators else None

    def generate(self, batch: dict[str, Tensor]) -> Tensor:
        return self.generators["G"](batch["lr"])

    def d_loss(self, batch: dict[str, Tensor], fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        D = self.discriminators["D"]
        real_logits, fake_logits = D(batch["hr"]).float(), D(fake).float()
        acc_real, acc_fake = self.loss.accuracy(real_logits, fake_logits)
        return self.loss.d(real_logits, fake_logits), {"d_acc_real": acc_real, "d_acc_fake": acc_fake}

    def g_loss(self, batch: dict[str, Tensor], fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        hr, c = batch["hr"], self.config
        l1 = F.l1_loss(fake.float(), hr)
        logs = {"l1": l1.item(), "psnr": psnr_rgb(fake, hr)}
        if not self.discriminators:
            return l1, logs
        fft = fft_magnitude_loss(fake, hr)
        adversarial = self.loss.g(self.discriminators["D"](fake).float())
        logs |= {"fft": fft.item(), "adversarial": adversarial.item()}
        return l1 + c.fft_weight * fft + c.adv_weight * adversarial, logs

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        """Rows of (degraded LR enlarged by bicubic, restored SR, HR) for the fixed crops."""
        G = generators["G"]
        device = next(G.parameters()).device
        lr, hr = self.fixed["lr"].to(device), self.fixed["hr"].to(device)
        rows = [imresize(lr, self.config.scale).clamp(-1, 1), G(lr).float().clamp(-1, 1), hr]
        return torch.stack(rows, 1).flatten(0, 1)

    def validate(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """Y-PSNR/SSIM, gain over bicubic, sharpness and grid score on the held-out images,
        degraded by the seeded realistic chain (the same inputs every epoch), and the same figures
        prefixed ``clean_`` on their clean downscales: a sharp photo must not lose its texture."""
        from ganapps.eval.sr import validate_upscaler

        G, scale = generators["G"], self.config.scale
        figures = validate_upscaler(G, self.val, scale) if self.val else {}
        if self.val_clean:
            figures |= {f"clean_{k}": v for k, v in validate_upscaler(G, self.val_clean, scale).items()}
        return figures

    def exports(self) -> dict[str, str]:
        return {"generator": "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        c = self.config
        loss = "l1" if not self.discriminators else f"l1 + {c.fft_weight:g} fft + {c.adv_weight:g} vanilla GAN (U-Net D)"
        return {"task": "upscale", "scale": c.scale, "degradation": "realistic", "loss": loss}


@dataclass
class RealSRInputs:
    data: list[Path] = option(..., "Folder of HR training photos (repeat --data for several).")
    crop: int = option(128, "HR crop size in pixels (a multiple of the scale and of 8).")
    val: int = option(VAL_IMAGES, "Training images held out for validation (scored each epoch), at most a tenth.")
    clean_share: float = option(
        CLEAN_SHARE, "Share of training inputs downscaled cleanly (bicubic only), as a sharp photo is: without them "
        "fine texture is taken for noise and wiped.")


def build(config: RealSRConfig, inputs: RealSRInputs, seed: int, batch_size: int) -> tuple[RealSRTask, Any]:
    from ganapps.data.sr import RealisticSRCrops

    if inputs.crop % config.scale or (config.adv_weight > 0 and inputs.crop % 8):
        raise UsageError(f"--crop {inputs.crop} must be a multiple of the scale {config.scale} and of 8 (the U-Net D)")
    from ganapps.eval.sr import validation_pairs

    if not 0.0 <= inputs.clean_share <= 1.0:
        raise UsageError(f"--clean-share {inputs.clean_share}: a share, from 0 to 1")
    dataset = RealisticSRCrops(inputs.data, config.scale, inputs.crop, min_items=STEPS_PER_EPOCH * batch_size,
                               seed=seed, val=inputs.val, clean_share=inputs.clean_share)  # fmt: skip
    task = RealSRTask(config, dataset.samples(config.samples))
    task.val = validation_pairs(dataset.val_paths, config.scale, "realistic")
    task.val_clean = validation_pairs(dataset.val_paths, config.scale, "clean")
    return task, dataset


HEAD = Head(
    "real-sr", "Real-world ×4/×2 upscaling (Real-ESRGAN's recipe): realistic degradations, compact G, U-Net D, EMA.",
    RealSRConfig, RealSRInputs, build, lambda c: Schedule(iters=100_000, batch_size=16, lr_schedule="cosine", ema=0.999),
    epochs_help=f"Epochs of {STEPS_PER_EPOCH} steps.",
)
