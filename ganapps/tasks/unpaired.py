"""What the unpaired photo-translation heads (CycleGAN, CUT) share: their inputs, the held-out
validation photos and how they are scored, and the attention generators' warm-up.

Attention generators (``nets/resnet_gen.py``) blend ``x + m·(content − x)``. Every content loss
of these heads (CycleGAN's cycle, CUT's PatchNCE) is met perfectly by an unchanged image, so a
mask those losses can train closes everywhere within a few hundred steps (measured on
horse↔zebra, ``tasks/cyclegan.py``). Hence :func:`translate`: the content losses see the blend
with the mask held fixed, and only the adversarial loss and a sparsity cost move the mask; and
:func:`mask_floor`: the mask starts fully open and is freed over a warm-up, so the generator learns
to translate before the mask learns where.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor, nn

from ganapps.data.datasets import VAL_PER_DOMAIN
from ganapps.eval.domain import classify
from ganapps.eval.scene import scene_figures

from .head import option


@dataclass
class UnpairedConfig:
    """The options both unpaired heads have: their generator (CycleGAN's ResNet), discriminator
    (70×70 PatchGAN), optimiser and attention; each head's config adds its own losses."""

    image_size: int = option(256, "Training crop; images are loaded 12% larger (286 for 256).", flag="--size")
    ngf: int = option(64, "Generator width (32 trains ~4x faster on a CPU).")
    ndf: int = 64
    n_blocks: int | None = option(None, "Residual blocks (default 9 at 256 px and up, 6 below).")
    loss: str = "lsgan"
    lr: float = 2e-4
    beta1: float = 0.5
    samples: int = 6  # rows in the sample grid
    upsample: str = option("resize", "resize (no checkerboard) | transpose (the paper's).", choices=("resize", "transpose"))
    attention: bool = option(
        True, "Generators predict a mask and keep the input (the scene) outside it.", flag="--attention/--no-attention"
    )
    attention_warmup: int = 3000  # steps over which the attention mask's floor falls from 1 to 0
    lambda_mask: float = 0.5  # cost of the attention masks' mean: what keeps them closed on the scene


@dataclass
class UnpairedInputs:
    data: Path = option(..., "Folder with trainA/ and trainB/ (unpaired images).")
    val: int = option(VAL_PER_DOMAIN, "Training images per domain held out for validation (masks from trainA_seg/, trainB_seg/).")
    judge: str | None = option(None, "Domain classifier that scores validation translations, e.g. horse-zebra-classifier.")


@dataclass
class ValidationSet:
    """Held-out images of one domain (N×3×S×S in [-1, 1]) and their foreground masks, if any."""

    images: Tensor
    masks: list | None = None


def validation_sets(dataset: Any, size: int) -> dict[str, ValidationSet]:
    """The held-out files of an :class:`~ganapps.data.datasets.UnalignedDataset` as whole images
    at ``size`` px (the centre square, as the training crops frame them), with masks where every
    held-out image of a domain has one."""
    from ganapps.data.datasets import fit_square, read_image, read_mask, to_tensor

    sets = {}
    for domain, files in dataset.val_files.items():
        if not files:
            continue
        images = torch.cat([to_tensor(fit_square(read_image(f).rgb, size)) for f in files])
        masks_dir = dataset.mask_dirs[domain]
        has_masks = all((masks_dir / f.name).is_file() for f in files)
        sets[domain] = ValidationSet(images, [read_mask(masks_dir / f.name, size) for f in files] if has_masks else None)
    return sets


def builder(task_class: type) -> Callable[[Any, UnpairedInputs, int, int], tuple[Any, Any]]:
    """A head's ``build``: the training dataset with its held-out sets and judge, and
    ``task_class(config, sample_batch, val, judge)``."""

    def build(config: Any, inputs: UnpairedInputs, seed: int, batch_size: int) -> tuple[Any, Any]:
        from ganapps.data.datasets import UnalignedDataset, fixed_batch, load_size_for
        from ganapps.eval.domain import load_judge

        dataset = UnalignedDataset(inputs.data, "train", load_size_for(config.image_size), seed, inputs.val)
        judge = load_judge(inputs.judge) if inputs.judge else None
        val = validation_sets(dataset, config.image_size)
        return task_class(config, fixed_batch(dataset, config.samples), val, judge), dataset

    return build


def mask_floor(step: int, warmup: int) -> float:
    """The attention mask's floor at ``step``: 1 → 0 linearly over ``warmup`` steps, then 0.

    >>> [mask_floor(s, 4) for s in (0, 2, 4, 9)]
    [1.0, 0.5, 0.0, 0.0]
    """
    return max(0.0, 1.0 - step / warmup) if warmup > 0 else 0.0


def mask_cost_weight(floor: float) -> float:
    """Share of the sparsity cost applied at a floor: none while the floor is above 1/2, full at 0.
    The adversarial loss first opens the mask wherever translating helps, then the cost closes
    what does not need it (applied from the start, it closed the mask to 0.000 within 200 steps).

    >>> [mask_cost_weight(f) for f in (1.0, 0.5, 0.25, 0.0)]
    [0.0, 0.0, 0.5, 1.0]
    """
    return max(0.0, 1.0 - 2 * floor)


def translate(g: nn.Module, x: Tensor, floor: float, attention: bool) -> tuple[Tensor, Tensor, Tensor | None]:
    """(output for the discriminator, output for the content losses, mask or None).

    With attention both outputs are the same pixels, ``x + m·(content − x)``, but the content
    losses' copy holds the mask fixed (detached), so they train the content only (module docstring)."""
    if not attention:
        y = g(x)
        return y, y, None
    content, mask = g(x, parts=True)
    mask = floor + (1 - floor) * mask
    change = content - x
    return x + mask * change, x + mask.detach() * change, mask


@torch.no_grad()
def score_translation(g: nn.Module, v: ValidationSet, target: int, judge: nn.Module | None) -> dict[str, float]:
    """Scene figures of ``g`` on a held-out set (``eval/scene.py``), its attention mask's mean
    (``mask_mean``: 0 means it changes nothing) and, with a ``judge``, the share of outputs it
    calls domain ``target`` (``target_rate``)."""
    device = next(g.parameters()).device
    outs, masks = [], []
    for i in range(0, len(v.images), 8):
        y, m = g.forward_with_mask(v.images[i : i + 8].to(device))
        outs.append(y.float().cpu())
        masks += [] if m is None else [m.float().cpu()]
    out = torch.cat(outs)
    found = scene_figures(v.images, out, v.masks)
    if masks:
        found["mask_mean"] = torch.cat(masks).mean().item()
    if judge is not None:
        found["target_rate"] = (classify(judge, out) == target).double().mean().item()
    return found
