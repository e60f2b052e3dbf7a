"""How much of the original's fine detail each ×4 upscaler restores: the sharpness the PSNR table misses.

Usage: ``python benchmarks/sr_sharpness.py --data ../shared/data/sr/Set14 [--data ...] [--model srresnet-x4 ...]``

For each HR image (cropped to a multiple of 4) the LR input is the papers' MATLAB-bicubic
downscale; each method's output and the HR image are compared by the energy of their Laplacian
(variance of the Y channel's 3×3 Laplacian, 4 border pixels shaved): a ratio of 1 means as much
fine detail as the original, bicubic's is far below 1 (blur). It measures energy, not correctness:
read it next to the PSNR table of ``ganapps eval upscale``. Prints the median ratio per set.
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import cv2
import numpy as np

from ganapps.data.degrade import degrade, imresize, modcrop
from ganapps.data.io import IMAGE_SUFFIXES, Image, from_tensor, read_image, to_tensor
from ganapps.pipelines.upscale import UpscalePipeline
from ganapps.weights import resolve

SCALE = 4


def detail_energy(rgb: np.ndarray) -> float:
    """Variance of the Laplacian of the BT.601 luma, borders shaved."""
    y = (rgb * np.array([65.481, 128.553, 24.966], np.float32)).sum(-1) + 16.0
    return float(cv2.Laplacian(y, cv2.CV_32F, ksize=1)[SCALE:-SCALE, SCALE:-SCALE].var())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--model", action="append", default=None, help="default: srresnet-x4 and srgan-x4")
    args = parser.parse_args()
    models = {m: UpscalePipeline(resolve(m), precision="fp32") for m in args.model or ["srresnet-x4", "srgan-x4"]}
    print(f"{'set':8s} {'images':>6s}  " + "  ".join(f"{name:>12s}" for name in ["bicubic", *models]))
    for folder in args.data:
        ratios: dict[str, list[float]] = {name: [] for name in ["bicubic", *models]}
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for path in files:
            hr = modcrop(to_tensor(read_image(path).rgb), SCALE)
            lr = degrade(hr, SCALE)
            reference = detail_energy(from_tensor(hr))
            ratios["bicubic"].append(detail_energy(from_tensor(imresize(lr, SCALE))) / reference)
            for name, pipe in models.items():
                ratios[name].append(detail_energy(pipe(Image(from_tensor(lr))).rgb) / reference)
        medians = "  ".join(f"{statistics.median(r):12.2f}" for r in ratios.values())
        print(f"{folder.name:8s} {len(files):6d}  {medians}")


if __name__ == "__main__":
    main()
