"""Seconds per training iteration of each task head, through the shared :class:`Trainer`'s own
step (``train_step``: G forward, D update with G frozen, G update with D frozen, schedulers, logs).

A fixed synthetic batch is moved to the device once, as the trainer moves every batch, so the
figure is the step alone: data loading is excluded, as in the reference's ``t_comp`` (its
``train.py`` reports computation and data time separately). Each task is built with the options
its ``ganapps train`` command uses (inpainting trains channels-last, the others do not).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch.utils.data import Dataset, default_collate

from ganapps.core.trainer import TrainConfig, Trainer, _to_device
from ganapps.data.datasets import load_size_for
from ganapps.tasks.cut import CUTConfig, CUTTask
from ganapps.tasks.cyclegan import CycleGANConfig, CycleGANTask
from ganapps.tasks.dcgan import DCGANConfig, DCGANTask
from ganapps.tasks.imagegan import ImageGANConfig, ImageGANTask
from ganapps.tasks.inpaint import InpaintConfig, InpaintTask
from ganapps.tasks.pix2pix import Pix2PixConfig, Pix2PixTask
from ganapps.tasks.realsr import RealSRConfig, RealSRTask
from ganapps.tasks.srgan import SRGANTaskConfig, SRGANTask
from timing import median_seconds


@dataclass(frozen=True)
class Config:
    task: str
    config: str
    build: Callable[[Any], Any]  # a sample batch → the task head
    item: Callable[[], Any]  # one random dataset item, as the task's dataset yields it
    batch: int
    warmup: int = 2
    repeats: int = 5
    channels_last: bool = False
    reference: str | None = None  # key of the reference figure this row is compared with


def _image(channels: int, side: int) -> torch.Tensor:
    return torch.rand(channels, side, side) * 2 - 1


def _pair(side: int) -> Callable[[], dict[str, torch.Tensor]]:
    return lambda: {"A": _image(3, side), "B": _image(3, side)}


def _cyclegan(crop: int, ngf: int, ndf: int, blocks: int, **kw) -> Config:
    """The reference's CycleGAN has 9 residual blocks at every crop size (``resnet_9blocks``); ours
    defaults to 6 below 256 px, so the comparison rows set 9 to run the same network."""
    cfg = CycleGANConfig(image_size=crop, ngf=ngf, ndf=ndf, n_blocks=blocks)
    desc = f"{crop} crop, ngf {ngf}, ndf {ndf}, {blocks} blocks, batch 1"
    return Config("CycleGAN", desc, lambda s: CycleGANTask(cfg, s), _pair(load_size_for(crop)), 1, **kw)


def _cut(crop: int, ngf: int, ndf: int, blocks: int, **kw) -> Config:
    """CUT with the same generator and discriminator as :func:`_cyclegan` (one of each)."""
    cfg = CUTConfig(image_size=crop, ngf=ngf, ndf=ndf, n_blocks=blocks)
    desc = f"{crop} crop, ngf {ngf}, ndf {ndf}, {blocks} blocks, batch 1"
    return Config("CUT", desc, lambda s: CUTTask(cfg, s), _pair(load_size_for(crop)), 1, **kw)


def _pix2pix(crop: int, ngf: int, batch: int = 1, **kw) -> Config:
    cfg = Pix2PixConfig(image_size=crop, ngf=ngf)
    desc = f"{crop} crop, U-Net ngf {ngf}, batch {batch}"
    return Config("pix2pix", desc, lambda s: Pix2PixTask(cfg, s), _pair(load_size_for(crop)), batch, **kw)


def _srgan(hr: int, batch: int, **kw) -> Config:
    item = lambda: {"lr": _image(3, hr // 4), "hr": _image(3, hr)}  # noqa: E731
    desc = f"{hr // 4}→{hr} px, SRResNet 16×64, batch {batch}"
    return Config("SRGAN", desc, lambda s: SRGANTask(SRGANTaskConfig(scale=4), s), item, batch, **kw)


def _realsr(hr: int, ndf: int, batch: int, **kw) -> Config:
    """Real-ESRGAN-style ×4: ``ndf`` 0 is phase 1 (G alone on L1), else phase 2 with a U-Net D of that width."""
    cfg = RealSRConfig(adv_weight=0.1 if ndf else 0.0, ndf=ndf or RealSRConfig.ndf)
    item = lambda: {"lr": _image(3, hr // 4), "hr": _image(3, hr)}  # noqa: E731
    desc = f"{hr // 4}→{hr} px, compact 16×64, " + (f"U-Net D ndf {ndf}" if ndf else "no D (L1)") + f", batch {batch}"
    return Config("real-sr", desc, lambda s: RealSRTask(cfg, s), item, batch, warmup=1, repeats=3, **kw)


def _inpaint(side: int, width: int, batch: int, **kw) -> Config:
    cfg = InpaintConfig(image_size=side, width=width)
    desc = f"{side} px, width {width}, batch {batch}"
    return Config("inpaint", desc, lambda s: InpaintTask(cfg, s), lambda: _image(3, side), batch, channels_last=True, **kw)


def _dcgan(ngf: int, batch: int, **kw) -> Config:
    cfg = DCGANConfig(ngf=ngf, ndf=ngf)
    return Config("DCGAN", f"28 px, ngf {ngf}, batch {batch}", lambda s: DCGANTask(cfg), lambda: _image(1, 28), batch, **kw)


def _imagegan(side: int, ngf: int, batch: int, channels_last: bool, **kw) -> Config:
    cfg = ImageGANConfig(image_size=side, width=ngf)
    desc = f"{side} px, ngf {ngf}, batch {batch}" + (", channels-last" if channels_last else "")
    return Config("image-gan", desc, lambda s: ImageGANTask(cfg), lambda: _image(3, side), batch,
                  channels_last=channels_last, **kw)


def configs(quick: bool) -> list[Config]:
    """Each task at its default (paper) configuration, plus the reference's small CycleGAN."""
    if quick:
        few = {"warmup": 1, "repeats": 2}
        return [
            _cyclegan(64, 8, 8, 2, reference="cyclegan_256", **few), _cyclegan(32, 4, 4, 2, reference="cyclegan_128", **few),
            _pix2pix(64, 8, **few), _srgan(48, 2, **few), _inpaint(64, 8, 2, **few), _dcgan(8, 16, **few),
        ]  # fmt: skip
    return [
        _cyclegan(256, 64, 64, 9, reference="cyclegan_256", warmup=1, repeats=3),
        _cyclegan(128, 32, 32, 9, reference="cyclegan_128"),
        _pix2pix(256, 64),
        _srgan(96, 16, repeats=3),
        _inpaint(128, 32, 8),
        _dcgan(64, 128),
    ]


class _Items(Dataset):
    def __init__(self, items: list[Any]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        return self.items[i]


def measure(config: Config, precision: str, device: torch.device, compile: bool = False) -> dict[str, Any]:
    """Median seconds per ``train_step`` of ``config`` at ``precision`` on ``device`` (``compile``:
    through ``torch.compile``, whose compiling happens in the warm-up steps, not timed)."""
    # Each setting compiles afresh: the graphs of the settings before it would otherwise count
    # towards dynamo's recompile limit, and a late setting would fall back to eager unannounced.
    torch._dynamo.reset()
    torch.manual_seed(0)
    items = [config.item() for _ in range(config.batch)]
    batch = default_collate(items)
    task = config.build(batch)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(
            out=Path(tmp), iters=10_000, batch_size=config.batch, device=str(device), precision=precision,
            channels_last=config.channels_last, progress=False, compile=compile,
        )
        trainer = Trainer(task, _Items(items), cfg)
        on_device = _to_device(batch, trainer.device, config.channels_last)
        seconds = median_seconds(lambda: trainer.train_step([on_device]), config.repeats, config.warmup, trainer.device)
    return {
        "task": config.task, "config": config.config, "precision": precision, "compile": compile, "s_per_iter": seconds,
        "img_s": config.batch / seconds, "reference": config.reference,
    }  # fmt: skip


def main() -> None:
    """Before a long run: images/s at one crop, for each precision here; pix2pix or inpainting per
    batch size, or CycleGAN against CUT (the same nets at batch 1: ``--task unpaired``); with
    ``--compile``, each also through ``torch.compile``.

    ``python benchmarks/training_speed.py --size 96 --batch 1 8 16`` (pause any training first);
    ``python benchmarks/training_speed.py --task unpaired --size 128 --ngf 32``;
    ``OMP_NUM_THREADS=1 python benchmarks/training_speed.py --task inpaint --size 88 --batch 8 --compile``;
    ``OMP_NUM_THREADS=1 python benchmarks/training_speed.py --task real-sr --size 128 --batch 16`` (phase 1,
    then phase 2 with U-Net discriminators of width 32, 16, 8);
    ``OMP_NUM_THREADS=1 python benchmarks/training_speed.py --task image-gan --size 64 --ngf 32 48 64 --batch 64 --compile``
    (each width with and without channels-last)."""
    import argparse

    from ganapps.core.device import autocast_dtype, resolve_device

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("pix2pix", "inpaint", "unpaired", "real-sr", "image-gan"), default="pix2pix")
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--ngf", type=int, nargs="+", default=[64])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--compile", action="store_true", help="also measure each through torch.compile")
    args = parser.parse_args()
    device = resolve_device("auto")
    precisions = ["fp32"] + (["bf16"] if autocast_dtype(device, "auto") is not None else [])
    if args.task == "unpaired":
        blocks = 9 if args.size >= 256 else 6
        runs = [_cyclegan(args.size, args.ngf[0], 64, blocks), _cut(args.size, args.ngf[0], 64, blocks)]
    elif args.task == "inpaint":
        runs = [_inpaint(args.size, width, batch) for width in args.ngf for batch in args.batch]
    elif args.task == "real-sr":
        runs = [_realsr(args.size, ndf, batch) for batch in args.batch for ndf in (0, 32, 16, 8)]
    elif args.task == "image-gan":
        runs = [_imagegan(args.size, ngf, batch, cl) for ngf in args.ngf for batch in args.batch for cl in (False, True)]
    else:
        runs = [_pix2pix(args.size, ngf, batch) for ngf in args.ngf for batch in args.batch]
    for config in runs:
        for precision in precisions:
            for compile in (False, True) if args.compile else (False,):
                r = measure(config, precision, device, compile)
                how = ", compiled" if compile else ""
                print(f"{r['task']} {r['config']}, {precision}{how}: {r['s_per_iter']:.3f} s/iter, {r['img_s']:.1f} img/s")


if __name__ == "__main__":
    main()
