"""pix2pix task head (Isola et al. 2017): paired translation, input A → target B.

A U-Net generator and a *conditional* PatchGAN: the discriminator judges ``cat(input, output)``
pairs, so it learns whether an output fits its input, not just whether it looks real. The L1 term
(λ 100) pulls each output towards its own target and the GAN term supplies the sharp detail L1
alone would average away. Paper defaults: vanilla (log-loss) GAN with the D objective halved,
Adam 2e-4 β1 0.5.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganapps.core.losses import get_loss
from ganapps.data.datasets import VAL_PER_DOMAIN
from ganapps.core.task import Task
from ganapps.nets.patchgan import PatchGANConfig, PatchGANDiscriminator
from ganapps.nets.unet import UNetGenerator, UNetGeneratorConfig, default_downs

from .augment import center_crop, crop_flip
from .head import Head, Schedule, UsageError, option

INPUT_KINDS = ("photo", "labels", "sketch")  # what the generator is given; "sketch" inputs get normalised


@dataclass
class Pix2PixConfig:
    image_size: int = option(256, "Training crop; images are loaded 12% larger (286 for 256).", flag="--size")
    ngf: int = option(64, "Generator width.")
    ndf: int = 64
    num_downs: int | None = None  # None: image_size down to 1 px (8 at 256, 7 at 128)
    lambda_l1: float = 100.0
    lambda_ssim: float = option(0.0, "Weight of a 1 − SSIM term beside L1 (Zhao et al. 2017); 0: the paper's L1 only.", flag="--ssim-weight")
    loss: str = "vanilla"
    lr: float = 2e-4
    beta1: float = 0.5
    direction: str = option("AtoB", "AtoB | BtoA: which half is the input.", choices=("AtoB", "BtoA"))
    input_kind: str = option("photo", "photo | labels | sketch, recorded in the weights (--sketch sets sketch).", choices=INPUT_KINDS)
    samples: int = 12  # fixed pairs in the sample grid (two per row)
    upsample: str = option("resize", "resize (no checkerboard) | transpose (the paper's).", choices=("resize", "transpose"))


def l1_loss(target: Tensor, output: Tensor) -> Tensor:
    """Mean absolute difference between the generator's output and the true target."""
    return F.l1_loss(output.float(), target.float())


def ssim_loss(target: Tensor, output: Tensor) -> Tensor:
    """1 − mean SSIM (11-px window, on [0, 1] as the evaluation measures it): L1 treats every
    pixel alone, SSIM rewards local structure and contrast, where a drawing says most.

    >>> x = torch.rand(1, 3, 16, 16) * 2 - 1
    >>> float(ssim_loss(x, x)) < 1e-4, float(ssim_loss(x, -x)) > 0.5
    (True, True)
    """
    from ganapps.eval.translate import ssim_per_image

    return 1 - ssim_per_image(output, target).mean()


class Pix2PixTask(Task):
    name = "pix2pix"

    def __init__(self, config: Pix2PixConfig, sample_batch: dict[str, Tensor], val: dict[str, Tensor] | None = None):
        """``sample_batch``: fixed ``{"A", "B"}`` pairs (at load size) for the per-epoch grids;
        ``val``: held-out ``{"A", "B"}`` pairs at the training size, scored by :meth:`validate`."""
        if config.input_kind not in INPUT_KINDS:
            raise ValueError(f"input kind must be one of {', '.join(INPUT_KINDS)}, not {config.input_kind!r}")
        self.config = c = config
        self.loss = get_loss(c.loss)
        g_cfg = UNetGeneratorConfig(ngf=c.ngf, num_downs=c.num_downs or default_downs(c.image_size), upsample=c.upsample)
        d_cfg = PatchGANConfig(in_channels=6, ndf=c.ndf, norm="instance_affine")
        self.generators: dict[str, nn.Module] = {"G": UNetGenerator(g_cfg)}
        self.discriminators: dict[str, nn.Module] = {"D": PatchGANDiscriminator(d_cfg)}
        self.crop_flip = crop_flip(c.image_size)
        self.fixed = {k: center_crop(v[: c.samples], c.image_size) for k, v in sample_batch.items()}
        self.val = val or {}

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
        betas = (self.config.beta1, 0.999)
        return (
            torch.optim.Adam(self.generators["G"].parameters(), lr=self.config.lr, betas=betas),
            torch.optim.Adam(self.discriminators["D"].parameters(), lr=self.config.lr, betas=betas),
        )

    def augment(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Crop and flip input and target together (one draw for the pair)."""
        pair = self.crop_flip(torch.cat([batch["A"], batch["B"]], dim=1))
        return {"A": pair[:, :3], "B": pair[:, 3:]}

    def generate(self, batch: dict[str, Tensor]) -> Tensor:
        return self.generators["G"](batch["A"])

    def d_loss(self, batch: dict[str, Tensor], fake_b: Tensor) -> tuple[Tensor, dict[str, float]]:
        D = self.discriminators["D"]
        real = D(torch.cat([batch["A"], batch["B"]], 1)).float()
        fake = D(torch.cat([batch["A"], fake_b], 1)).float()
        acc_real, acc_fake = self.loss.accuracy(real, fake)
        # Halved as in the paper, which slows D relative to G.
        return 0.5 * self.loss.d(real, fake), {"d_acc_real": acc_real, "d_acc_fake": acc_fake}

    def g_loss(self, batch: dict[str, Tensor], fake_b: Tensor) -> tuple[Tensor, dict[str, float]]:
        gan = self.loss.g(self.discriminators["D"](torch.cat([batch["A"], fake_b], 1)).float())
        l1 = l1_loss(batch["B"], fake_b)
        total, logged = gan + self.config.lambda_l1 * l1, {"gan_loss": gan.item(), "l1_loss": l1.item()}
        if self.config.lambda_ssim:
            ssim = ssim_loss(batch["B"], fake_b)
            total, logged["ssim_loss"] = total + self.config.lambda_ssim * ssim, ssim.item()
        return total, logged

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        """Triples input, output, target; two triples per grid row."""
        G = generators["G"]
        a, b = (self.fixed[k].to(next(G.parameters()).device) for k in ("A", "B"))
        return torch.stack([a, G(a), b], dim=1).flatten(0, 1)

    @torch.no_grad()
    def validate(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """PSNR, SSIM and L1 of the generator's outputs against the held-out targets, and the
        outputs' median grid score ({} without held-out pairs). A drawing → face model also gets
        ``schematic_faces_found``: the share of :data:`SCHEMATIC_CHECK` people's drawings of "a
        face" in which a face detector finds one in the output (``eval/face_detect.py``)."""
        if not self.val:
            return {}
        from ganapps.data.datasets import schematic_drawings
        from ganapps.eval.face_detect import face_found_rate
        from ganapps.eval.scene import periodic_artifact_score
        from ganapps.eval.translate import image_metrics

        G = generators["G"]
        device = next(G.parameters()).device
        run = lambda x: torch.cat([G(x[i : i + 8].to(device)).float().cpu() for i in range(0, len(x), 8)])  # noqa: E731
        out = run(self.val["A"])
        figures = image_metrics(out, self.val["B"]) | {"artifact_score": float(np.median([periodic_artifact_score(o) for o in out]))}
        if self.config.input_kind == "sketch":
            figures["schematic_faces_found"] = face_found_rate(run(schematic_drawings(SCHEMATIC_CHECK, self.config.image_size)))
        return figures

    def exports(self) -> dict[str, str]:
        return {"generator": "G"}

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        c = self.config
        return {"task": "translate", "model": "pix2pix", "image_size": c.image_size, "direction": c.direction, "input": c.input_kind}


SCHEMATIC_CHECK = 50  # people's drawings scored at each validation of a drawing → face model


@dataclass
class Pix2PixInputs:
    data: Path = option(..., "Folder with train/ of side-by-side A|B images (or photos, with --sketch).")
    sketch: bool = option(
        False, "DATA is a plain photo folder (or has train/): pair each photo with its line drawing.", flag="--sketch/--no-sketch"
    )
    val: int = option(VAL_PER_DOMAIN, "Training pairs (photos, with --sketch) held out for validation, at most a tenth.")


def build(config: Pix2PixConfig, inputs: Pix2PixInputs, seed: int, batch_size: int) -> tuple[Pix2PixTask, Any]:
    from ganapps.data.datasets import AlignedDataset, SketchPairs, fixed_batch, load_size_for

    load = load_size_for(config.image_size)
    if inputs.sketch:
        if config.direction != "AtoB" or config.input_kind not in ("photo", "sketch"):
            raise UsageError("--sketch makes drawing → photo pairs; --direction and --input-kind do not apply")
        config = replace(config, input_kind="sketch")
        folder = inputs.data / "train" if (inputs.data / "train").is_dir() else inputs.data
        dataset = SketchPairs(folder, load, varied=True, val=inputs.val)
    else:
        dataset = AlignedDataset(inputs.data, "train", load, config.direction, val=inputs.val)
    pairs = [dataset.pair(f, config.image_size) for f in dataset.val_files]
    val = {k: torch.stack([p[k] for p in pairs]) for k in ("A", "B")} if pairs else None
    return Pix2PixTask(config, fixed_batch(dataset, config.samples), val), dataset


HEAD = Head(
    "pix2pix", "pix2pix: paired translation (label map → photo, sketch → photo, ...).", Pix2PixConfig, Pix2PixInputs,
    build, lambda c: Schedule(epochs=200, lr_schedule="linear", decay_start=0.5),
    epochs_help="Passes over the data (default 200: 100 constant LR + 100 decay).",
)
