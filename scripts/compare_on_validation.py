"""Draw held-out validation photos through several translation files, one row per file, for the cards.

Usage: ``python scripts/compare_on_validation.py OUT.jpg FILE [FILE ...] [--data DIR] [--val 50] [--n 7]``

The photos are those a run with ``--val N`` (seed 0) held out of ``trainA`` (``--domain B`` for
``trainB``), taken at evenly spaced positions of that list: the pictures a step was chosen on,
never the test split. Each file runs through :class:`TranslatePipeline` as ``ganapps translate``
would (whole photo, detail transfer on); a row is labelled with the file's run and step folder.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
from readme_figures import evenly, grid, panel

from ganapps.data.datasets import UnalignedDataset
from ganapps.data.io import Image, read_image
from ganapps.pipelines.translate import TranslatePipeline


def label(weights: Path) -> str:
    """``run step_NNNNNN`` for a snapshot, the run's name for its last export, the file's stem
    otherwise: short enough for a caption."""
    parent = weights.parent
    if parent.name.startswith("step_"):
        return f"{parent.parent.parent.name} {parent.name}"
    return parent.name if (parent / "run.json").exists() else weights.stem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("weights", type=Path, nargs="+")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/horse2zebra")
    parser.add_argument("--val", type=int, default=50, help="the run's --val")
    parser.add_argument("--domain", choices=("A", "B"), default="A")
    parser.add_argument("--n", type=int, default=7, help="photos per row")
    args = parser.parse_args()
    held_out = UnalignedDataset(args.data, "train", seed=0, val=args.val).val_files[args.domain]
    photos = [read_image(path).rgb for path in evenly(held_out, args.n)]
    rows = [[panel(p, "input") for p in photos]]
    for weights in args.weights:
        pipeline = TranslatePipeline(weights)
        rows.append([panel(pipeline(Image(p)).rgb, label(weights)) for p in photos])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(grid(rows), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
