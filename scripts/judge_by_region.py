"""Where does the judge see the target animal: in the translated animal or in the repainted scene?

Usage: ``python scripts/judge_by_region.py FILE [FILE ...] [--data DIR] [--domain A]``

For each translation file, the held-out validation photos of ``train{domain}/`` (the ones the
run's ``--val 50`` set aside, with their ``_seg`` masks) run through :class:`TranslatePipeline`
as ``ganapps translate`` would; the shipped ``horse-zebra-classifier`` then judges three images
per photo: the output; the output inside the dilated animal mask with the input outside ("animal
only": a perfect background); and the input inside with the output outside ("scene only"). If
"animal only" keeps most of the output's rate, a generator that left the scene alone could score
as high; if the rate lives in "scene only", the judge rewards repainting the background.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from ganapps.data.io import read_image, to_tensor
from ganapps.eval.domain import CLASSES, classify
from ganapps.eval.scene import dilate_mask
from ganapps.eval.translate import _mask_for, cyclegan_eval_files
from ganapps.pipelines.base import load_net
from ganapps.pipelines.translate import TranslatePipeline
from ganapps.weights import resolve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="+", help="translation .safetensors files or shipped names")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/horse2zebra")
    parser.add_argument("--domain", choices=("A", "B"), default="A", help="the source domain")
    args = parser.parse_args()

    judge, _ = load_net(resolve("horse-zebra-classifier"), "cpu")
    target = 1 - CLASSES.index(args.domain)
    files, masks = cyclegan_eval_files(args.data, args.domain, "val")
    images = [read_image(f) for f in files]
    inputs = [to_tensor(im.rgb)[0] for im in images]
    animal = [torch.from_numpy(dilate_mask(_mask_for(masks, f, im.size))) for f, im in zip(files, images)]

    def rate(batch: list[torch.Tensor]) -> float:
        return float(np.mean([int(classify(judge, x[None])[0]) == target for x in batch]))

    print(f"{len(files)} held-out photos of train{args.domain}; the animal (dilated mask) covers "
          f"{np.mean([m.float().mean().item() for m in animal]):.0%} of a photo on average; "
          f"inputs called the target: {rate(inputs):.0%}")
    print("file | output | animal only (scene kept) | scene only (animal kept)")
    for w in args.weights:
        pipe = TranslatePipeline(resolve(w), "cpu")
        outputs = [to_tensor(o.rgb)[0] for o in pipe.translate_many(images)]
        animal_only = [torch.where(m, o, x) for x, o, m in zip(inputs, outputs, animal)]
        scene_only = [torch.where(m, x, o) for x, o, m in zip(inputs, outputs, animal)]
        print(f"{w} | {rate(outputs):.0%} | {rate(animal_only):.0%} | {rate(scene_only):.0%}")


if __name__ == "__main__":
    main()
