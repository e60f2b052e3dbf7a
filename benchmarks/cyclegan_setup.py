"""Which training setup gives the most CycleGAN images per second on this machine?

The horse↔zebra configuration (128 px crops, ngf 32, 6 blocks, attention generators with resize
upsampling, 70×70 PatchGAN ndf 64) through the trainer's own ``train_step``, on a fixed synthetic
batch: precision (fp32, bf16 autocast), channels-last, ``torch.compile`` and batch size. The
figure is seconds per image (median of repeats), and the ratio to fp32 batch 1 from the same run.
Run it with nothing else on the machine: ``python benchmarks/cyclegan_setup.py``.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch
from torch.utils.data import default_collate

from ganapps.core.device import cpu_has_native_bf16
from ganapps.core.trainer import TrainConfig, Trainer, _to_device
from ganapps.data.datasets import load_size_for
from ganapps.tasks.cyclegan import CycleGANConfig, CycleGANTask
from timing import median_seconds
from training_speed import _Items, _pair

SETUPS = [  # (precision, channels_last, compile, batch)
    ("fp32", False, False, 1),
    ("bf16", False, False, 1),
    ("bf16", True, False, 1),
    ("bf16", False, False, 4),
    ("bf16", True, False, 4),
    ("bf16", False, True, 1),
]


def measure(precision: str, channels_last: bool, compile_: bool, batch: int) -> float:
    """Median seconds per image of one ``train_step``."""
    torch.manual_seed(0)
    items = [_pair(load_size_for(128))() for _ in range(batch)]
    batch_t = default_collate(items)
    task = CycleGANTask(CycleGANConfig(image_size=128, ngf=32, ndf=64), batch_t)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(out=Path(tmp), iters=10_000, batch_size=batch, device="cpu", precision=precision,
                          channels_last=channels_last, compile=compile_, progress=False)
        trainer = Trainer(task, _Items(items), cfg)
        on_device = _to_device(batch_t, trainer.device, channels_last)
        seconds = median_seconds(lambda: trainer.train_step([on_device]), 10, 5 if compile_ else 2, trainer.device)
    return seconds / batch


def main() -> None:
    print(f"CPU with native bf16: {cpu_has_native_bf16()}, threads: {torch.get_num_threads()}")
    base = None
    for precision, cl, comp, batch in SETUPS:
        s = measure(precision, cl, comp, batch)
        base = base or s
        row = {"precision": precision, "channels_last": cl, "compile": comp, "batch": batch,
               "s_per_img": round(s, 4), "speed_vs_fp32_b1": round(base / s, 2)}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
