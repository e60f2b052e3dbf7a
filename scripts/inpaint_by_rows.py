"""Where in the frame does an inpainting model beat OpenCV Telea: the top rows, the middle, the bottom rows?

Usage: ``python scripts/inpaint_by_rows.py FILE [FILE ...] [--data DIR] [-n 40] [--band 12]``

The held-out training faces that ``ganapps train inpaint`` sets aside (``eval inpaint --split
val``), each at its own size (89×109 for the CelebA faces) through :class:`InpaintPipeline` as
``ganapps inpaint`` fills a user's file, with 20–40% holes of both mask families (the eval's
seeded masks). Printed: the mean PSNR of ours and Telea, and per band of rows the ratio of their
squared errors in dB (a positive figure: ours is closer to the photo there). Made for issue 14:
the first 88-px run, trained on centre squares, won 2.5 dB in the middle and 0.3–0.6 dB in the
top and bottom 12 rows it never saw.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from ganapps.data.io import Image, read_image
from ganapps.data.masks import eval_mask
from ganapps.eval.inpaint import _as_tensor, held_out_folder
from ganapps.eval.opencv_inpaint import opencv_inpaint
from ganapps.pipelines.inpaint import InpaintPipeline
from ganapps.weights import resolve

RATIO = (0.2, 0.4)


def row_errors(pipe: InpaintPipeline, files: list[Path]) -> dict[str, tuple[np.ndarray, float]]:
    """Per method: (summed squared error per row over all fills, summed per-image PSNR)."""
    out = {"ours": [0.0, 0.0], "telea": [0.0, 0.0]}
    for family in ("freeform", "wide"):
        for i, f in enumerate(files):
            image = _as_tensor(read_image(f).rgb)
            hole = eval_mask(tuple(image.shape[-2:]), RATIO, 0, i, family)
            ours = _as_tensor(pipe(Image(((image[0].permute(1, 2, 0) + 1) / 2).numpy()), hole).rgb)
            telea = opencv_inpaint(image, torch.from_numpy(hole).float()[None, None], "telea")
            for name, filled in (("ours", ours), ("telea", telea)):
                err = (((filled - image) / 2) ** 2).mean(1)[0].numpy()  # H×W, images in [-1, 1]
                if np.ndim(out[name][0]) and len(out[name][0]) != len(err):
                    raise SystemExit(f"{f}: the faces must all have one height to add up their rows")
                out[name][0] = out[name][0] + err.sum(1)
                out[name][1] += -10 * np.log10(err.mean())
    return {k: (v[0], v[1]) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="inpainting weights (a file or a shipped name)")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/faces"))
    parser.add_argument("-n", type=int, default=40, help="held-out faces (the first n)")
    parser.add_argument("--band", type=int, default=12, help="rows in the top and the bottom band")
    args = parser.parse_args()
    for name in args.files:
        pipe = InpaintPipeline(resolve(name), precision="fp32")
        files = held_out_folder(args.data, pipe.image_size, "val").files[: args.n]
        errors = row_errors(pipe, files)
        fills = 2 * len(files)
        ours, telea = errors["ours"][1] / fills, errors["telea"][1] / fills
        rows = len(errors["ours"][0])
        bands = {"top": slice(0, args.band), "middle": slice(args.band, rows - args.band), "bottom": slice(rows - args.band, rows)}
        gains = ", ".join(
            f"{band} {10 * np.log10(errors['telea'][0][s].sum() / errors['ours'][0][s].sum()):+.2f} dB" for band, s in bands.items()
        )
        print(f"{name}: {len(files)} faces, PSNR ours {ours:.2f} / Telea {telea:.2f} ({ours - telea:+.2f}); by rows: {gains}")


if __name__ == "__main__":
    main()
