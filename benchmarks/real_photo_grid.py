"""Grid score of ×4 upscalers on real photos taken as they are: the mesh a user sees on their own photo.

Usage: ``python benchmarks/real_photo_grid.py [--model srresnet-x4 --model runs/x/generator.safetensors ...]``
(needs ``pip install scikit-image`` for its sample photos; nothing is downloaded)

The benchmark sets are clean downscales made by us; a user's photo was never downscaled, and that is
where a pixel-shuffle checkerboard shows (issue 15: SRGAN's mesh over the fur of ``chelsea``). Six
of scikit-image's bundled colour photos are upscaled ×4 as they are, by bicubic and by each model,
and each output gets the periodic-artifact score of ``ganapps eval`` (the spectrum at 2-, 4- and
8-pixel periods over its neighbourhood; ``ganapps.eval.scene``). Bicubic ×4 is the floor to compare
with: it has some period-4 structure of its own. Prints the score per photo and the median.
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np

from ganapps.data.degrade import imresize
from ganapps.data.io import Image, to_tensor
from ganapps.eval.scene import periodic_artifact_score
from ganapps.pipelines.upscale import UpscalePipeline
from ganapps.weights import resolve

SCALE = 4
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field")


def photos() -> dict[str, np.ndarray]:
    """The sample photos as H×W×3 float32 RGB in [0, 1]."""
    import skimage.data

    return {name: getattr(skimage.data, name)().astype(np.float32) / 255 for name in PHOTOS}


def label(model: str) -> str:
    """A column name: the shipped name, or a file's run folder (``runs/realsr1/generator.safetensors`` → ``realsr1``)."""
    return Path(model).parent.name or model if model.endswith(".safetensors") else model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=None, help="shipped name or .safetensors path, repeatable (default: srresnet-x4 and srgan-x4)")
    args = parser.parse_args()
    models = {label(m): UpscalePipeline(resolve(m), precision="fp32") for m in args.model or ["srresnet-x4", "srgan-x4"]}
    scores: dict[str, list[float]] = {name: [] for name in ["bicubic", *models]}
    print(f"{'photo':22s} " + " ".join(f"{name[-14:]:>14s}" for name in scores))
    for name, rgb in photos().items():
        row = [periodic_artifact_score(imresize(to_tensor(rgb), SCALE)[0])]
        row += [periodic_artifact_score(to_tensor(pipe(Image(rgb)).rgb)[0]) for pipe in models.values()]
        for method, score in zip(scores, row):
            scores[method].append(score)
        print(f"{name:22s} " + " ".join(f"{s:14.1f}" for s in row))
    print(f"{'median':22s} " + " ".join(f"{statistics.median(s):14.1f}" for s in scores.values()))


if __name__ == "__main__":
    main()
