"""Super-resolution task heads: PSNR-oriented SRResNet, then SRGAN initialised from it.

Ledig et al. 2017 train in two phases, and so do we:

1. **SRResNet**, generator only (the trainer skips the D step for a task without discriminators):
   a pixel loss, which maximises PSNR but averages plausible textures into blur. L1 by default
   (EDSR and BasicSR found it converges to a higher PSNR than the paper's MSE); ``loss="mse"``
   is the paper's.
2. **SRGAN**: the same generator, started from phase 1's weights, trained with
   ``content + 1e-3 · adversarial`` against the SRGAN discriminator (BCE, Adam 1e-4, β1 0.9).
   The content loss is the paper's VGG54 (MSE between VGG19 ``relu5_4`` features) when the user
   supplies ImageNet VGG19 weights. Without them we use a substitute that needs no pretrained net:
   L1 (keeps colours and PSNR), L1 between FFT magnitudes (penalises lost high-frequency energy,
   i.e. blur, without demanding exact phase), and discriminator feature matching (Salimans et al.
   2016: match D's intermediate statistics of real images, which stabilises the adversarial term).

Batches are ``{"lr", "hr"}`` from :class:`ganapps.data.sr.SRCrops`, in [-1, 1].
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganapps.core.losses import fft_magnitude_loss, get_loss, psnr_rgb
from ganapps.core.task import Task
from ganapps.data.degrade import imresize
from ganapps.nets.srgan_disc import SRGANDiscriminator
from ganapps.nets.srresnet import SRResNet, SRResNetConfig
from ganapps.nets.vgg import load_vgg19_features

from .head import Head, Schedule, UsageError, option

STEPS_PER_EPOCH = 1000  # an SR "epoch" is this many steps of random crops, whatever the folder size
VAL_IMAGES = 20  # training images held out for validation by default (both SR heads)
SCALE = option(4, "Upscaling factor: 2 or 4.", choices=(2, 4))


@dataclass
class SRResNetTaskConfig:
    scale: int = SCALE
    loss: str = option("l1", "Pixel loss: l1 | mse (the paper's).", choices=("l1", "mse"))
    lr: float = 2e-4


@dataclass
class SRGANTaskConfig:
    scale: int = SCALE
    lr: float = 1e-4
    adv_weight: float = 1e-3
    gan_loss: str = "vanilla"
    vgg_weights: str | None = option(
        None, "torchvision VGG19 state dict (.pth) for the paper's VGG54 loss; without it: L1 + FFT-magnitude + feature matching."
    )
    vgg_weight: float = 0.006  # the common rescaling of VGG54 MSE for torchvision's input normalisation
    fft_weight: float = 0.1  # substitute loss, without --vgg-weights
    fm_weight: float = 0.1


class _SuperResolution(Task):
    """What both phases share: the generator, its forward pass, sample grids, exports."""

    name: str  # the exported weights' file stem
    val: Sequence[tuple[Tensor, Tensor]] = ()  # held-out (LR, HR) pairs, set by build(); scored each epoch

    def __init__(self, scale: int, samples: dict[str, Tensor]):
        self.scale = scale
        self.generators: dict[str, nn.Module] = {"G": SRResNet(SRResNetConfig(scale=scale))}
        self.fixed = samples

    def generate(self, batch: dict[str, Tensor]) -> Tensor:
        return self.generators["G"](batch["lr"])

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        """Rows of (bicubic, SR, HR) for the fixed crops: the grid reads left to right."""
        G = generators["G"]
        device = next(G.parameters()).device
        lr, hr = self.fixed["lr"].to(device), self.fixed["hr"].to(device)
        sr = G(lr).float().clamp(-1, 1)
        bicubic = imresize(lr, self.scale).clamp(-1, 1)
        return torch.stack([bicubic, sr, hr], dim=1).flatten(0, 1)

    def validate(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """Y-PSNR/SSIM, gain over bicubic, sharpness and grid score on the held-out images."""
        from ganapps.eval.sr import validate_upscaler

        return validate_upscaler(generators["G"], self.val, self.scale) if self.val else {}

    def exports(self) -> dict[str, str]:
        return {self.name: "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        return {"task": "upscale", "scale": self.scale}


class SRResNetTask(_SuperResolution):
    """Phase 1: generator alone, pixel loss (no discriminator, no D step)."""

    name = "srresnet"

    def __init__(self, config: SRResNetTaskConfig, samples: dict[str, Tensor]):
        if config.loss not in ("l1", "mse"):
            raise ValueError(f"SRResNet loss must be l1 or mse, not {config.loss!r}")
        super().__init__(config.scale, samples)
        self.config = config
        self.discriminators: dict[str, nn.Module] = {}

    def optimizers(self) -> tuple[torch.optim.Optimizer, None]:
        return torch.optim.Adam(self.generators["G"].parameters(), lr=self.config.lr, betas=(0.9, 0.999)), None

    def g_loss(self, batch: dict[str, Tensor], fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        pixel = F.l1_loss if self.config.loss == "l1" else F.mse_loss
        return pixel(fake.float(), batch["hr"]), {"psnr": psnr_rgb(fake, batch["hr"])}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        return super().weights_metadata(stem) | {"loss": self.config.loss}


class SRGANTask(_SuperResolution):
    """Phase 2: content loss + ``adv_weight`` · adversarial loss against the SRGAN discriminator."""

    name = "srgan"

    def __init__(self, config: SRGANTaskConfig, samples: dict[str, Tensor]):
        super().__init__(config.scale, samples)
        self.config = config
        self.loss = get_loss(config.gan_loss)
        self.discriminators: dict[str, nn.Module] = {"D": SRGANDiscriminator()}
        self.vgg = load_vgg19_features(config.vgg_weights) if config.vgg_weights else None

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        c, betas = self.config, (0.9, 0.999)
        return (
            torch.optim.Adam(self.generators["G"].parameters(), lr=c.lr, betas=betas),
            torch.optim.Adam(self.discriminators["D"].parameters(), lr=c.lr, betas=betas),
        )

    def d_loss(self, batch: dict[str, Tensor], fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        D = self.discriminators["D"]
        real_logits, fake_logits = D(batch["hr"]), D(fake)
        loss = self.loss.d(real_logits.float(), fake_logits.float())
        acc_real, acc_fake = self.loss.accuracy(real_logits, fake_logits)
        return loss, {"d_acc_real": acc_real, "d_acc_fake": acc_fake}

    def g_loss(self, batch: dict[str, Tensor], fake: Tensor) -> tuple[Tensor, dict[str, float]]:
        hr, c = batch["hr"], self.config
        D = self.discriminators["D"]
        fake_logits, fake_feats = D(fake, with_features=True)
        adversarial = self.loss.g(fake_logits.float())
        if self.vgg is not None:
            vgg = self.vgg.to(fake.device)
            with torch.no_grad():
                target = vgg(hr)
            content = c.vgg_weight * F.mse_loss(vgg(fake).float(), target.float())
            logs = {"vgg54": content.item()}
        else:
            with torch.no_grad():
                _, real_feats = D(hr, with_features=True)
            l1 = F.l1_loss(fake.float(), hr)
            fft = fft_magnitude_loss(fake, hr)
            fm = sum(F.l1_loss(f.float(), r.float()) for f, r in zip(fake_feats, real_feats)) / len(real_feats)
            content = l1 + c.fft_weight * fft + c.fm_weight * fm
            logs = {"l1": l1.item(), "fft": fft.item(), "feature_matching": fm.item()}
        loss = content + c.adv_weight * adversarial
        return loss, logs | {"adversarial": adversarial.item(), "psnr": psnr_rgb(fake, hr)}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        content = "vgg54" if self.vgg is not None else "l1+fft+feature-matching"
        adversarial = f"{self.config.adv_weight:g} {self.config.gan_loss} GAN"
        return super().weights_metadata(stem) | {"loss": f"{content} + {adversarial}"}


@dataclass
class SRInputs:
    data: list[Path] = option(..., "Folder of HR training images (repeat --data for several, e.g. T91 and BSDS200).")
    crop: int = option(96, "HR crop size in pixels.")
    val: int = option(VAL_IMAGES, "Training images held out for validation (scored each epoch), at most a tenth.")


def build(config: SRResNetTaskConfig | SRGANTaskConfig, inputs: SRInputs, seed: int, batch_size: int) -> tuple[Any, Any]:
    """Random HR crops with their bicubic LR (``STEPS_PER_EPOCH`` batches an epoch), then the task."""
    from ganapps.data.sr import SRCrops

    if inputs.crop % config.scale:
        raise UsageError(f"--crop {inputs.crop} must be a multiple of --scale {config.scale}")
    from ganapps.eval.sr import validation_pairs

    dataset = SRCrops(inputs.data, config.scale, inputs.crop, min_items=STEPS_PER_EPOCH * batch_size, seed=seed, val=inputs.val)
    task = (SRResNetTask if isinstance(config, SRResNetTaskConfig) else SRGANTask)(config, dataset.samples(3))
    task.val = validation_pairs(dataset.val_paths, config.scale, "clean")
    return task, dataset


def _schedule(config: Any) -> Schedule:
    return Schedule(iters=100_000, batch_size=16, lr_schedule="cosine")


_EPOCHS = f"Epochs of {STEPS_PER_EPOCH} steps."
SRRESNET = Head(
    "srresnet", "SRResNet, PSNR-oriented (phase 1 of SRGAN): generator only, pixel loss.",
    SRResNetTaskConfig, SRInputs, build, _schedule, epochs_help=_EPOCHS,
)
SRGAN = Head(
    "srgan", "SRGAN (phase 2): content loss + 1e-3 adversarial, started from SRResNet weights (--init, strongly recommended).",
    SRGANTaskConfig, SRInputs, build, _schedule, epochs_help=_EPOCHS,
)
