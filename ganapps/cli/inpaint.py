"""``ganapps inpaint`` and ``eval inpaint``: fill holes in faces (gated convolutions)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from ganapps.errors import UsageError

from .common import (
    DEVICE, FORMAT, INPUTS, OUTPUT, OVERWRITE, PRECISION, QUALITY, app, check_precision, console, eval_app,
    finish_batch, friendly_errors, plan, report_dataset_warnings,
)


# --method → (the default --model, the task of its weights, the command that trains one)
METHODS = {"net": ("inpaint-faces", "inpaint", "ganapps train inpaint"),
           "latent": ("faces", "generate", "ganapps train image-gan")}


def _inpaint_weights(method: str, model: str | None) -> Path:
    """``--model``: a shipped name or a path (default: the method's shipped model); a default not
    shipped yet is a clear error naming the command that trains one, not an 'unknown model'."""
    from ganapps.weights import REGISTRY, resolve, weights_dir

    if method not in METHODS:
        raise UsageError(f"--method {method}: use {' or '.join(METHODS)}")
    default, task, train = METHODS[method]
    model = model or default
    if model == default and model not in REGISTRY:
        raise FileNotFoundError(
            f"no shipped {model} weights yet (no {weights_dir() / model}.safetensors); "
            f"train one with '{train}' and pass --model PATH"
        )
    return resolve(model, task, aliases=[default])


def _pipeline(method: str, weights: Path, device: str, precision: str, face: str):
    from ganapps.pipelines.inpaint import InpaintPipeline
    from ganapps.pipelines.latent_inpaint import LatentInpaintPipeline

    return (LatentInpaintPipeline if method == "latent" else InpaintPipeline)(weights, device, precision, face=face)


def _mask_ratios(text: str) -> list[tuple[float, float]]:
    from ganapps.data.masks import parse_ratios

    try:
        ratios = parse_ratios(text)
    except ValueError as e:
        raise UsageError(f"--mask-ratio: {e}") from None
    if not ratios:
        raise UsageError("--mask-ratio: give at least one range, e.g. 0.1-0.2")
    return ratios


INPAINT_FACE = typer.Option(
    "auto", "--face", help="auto: fill a hole on a face in the face's training framing (faces found by dlib's "
    "detector) | off: always the whole image at its own scale."
)


INPAINT_METHOD = typer.Option(
    "net", "--method", help="net: the trained inpainting net | latent: search a face GAN's latent space for a "
    "face that fits the known pixels (the lecture's method, Yeh et al.; slow: seconds per hole)."
)
INPAINT_MODEL = typer.Option(
    None, "--model", help="Shipped model name or a .safetensors path (default: inpaint-faces, or faces with "
    "--method latent)."
)


def _check_face_mode(face: str) -> None:
    if face not in ("auto", "off"):
        raise UsageError(f"--face {face}: use auto or off")


@app.command()
@friendly_errors
def inpaint(
    inputs: list[str] = INPUTS,
    output: Path = OUTPUT,
    mask: Optional[Path] = typer.Option(
        None, "--mask", help="Mask image (white = missing, or painted on a transparent layer: opaque = missing; "
        "50% threshold; the image's size) or a folder of masks named like the images. "
        "A mask that marks no pixel returns the image unchanged, with a warning."
    ),
    random_mask: bool = typer.Option(
        False, "--random-mask", help="Draw a free-form mask (20-40% of the image), written next to the output as STEM_mask.png."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of --random-mask (each file's mask also depends on its name)."),
    face: str = INPAINT_FACE,
    method: str = INPAINT_METHOD,
    model: Optional[str] = INPAINT_MODEL,
    device: str = DEVICE,
    precision: str = PRECISION,
    fmt: Optional[str] = FORMAT,
    quality: Optional[int] = QUALITY,
    overwrite: bool = OVERWRITE,
) -> None:
    """Fill the masked part of images; every pixel outside the mask is returned unchanged."""
    from ganapps.pipelines.files import run_batch
    from ganapps.pipelines.inpaint import pair_masks, plan_demo_masks

    if (mask is None) == (not random_mask):
        raise UsageError("give exactly one of --mask MASK (file or folder) or --random-mask")
    _check_face_mode(face)
    check_precision(precision, device, int8=False)
    weights = _inpaint_weights(method, model)
    if mask is not None and not mask.exists():
        raise UsageError(f"--mask {mask}: no such file or folder")
    pairs, problems = plan(inputs, output, overwrite, fmt)
    if mask is not None:
        masks, unpaired = pair_masks([src for src, _ in pairs], mask)
        pairs, problems = [p for p in pairs if p[0] in masks], problems + unpaired
    else:
        pairs, clashes = plan_demo_masks(pairs, overwrite)
        problems += clashes
    result = None
    if pairs:
        pipe = _pipeline(method, weights, device, precision, face)
        lines: list[str] = []  # the pipeline's notes, printed after the progress bar, on stdout: not failures

        def work(src: Path, dst: Path) -> list[str]:
            hole = {"mask": masks[src]} if mask is not None else {"seed": seed}
            return pipe.inpaint_file(src, dst, log=lines.append, quality=quality, **hole)

        result = run_batch(pairs, work, "inpainting")
        for line in lines:
            console.print(f"note: {escape(line)}", highlight=False)
    finish_batch(problems, result)


@eval_app.command("inpaint")
@friendly_errors
def eval_inpaint(
    data: Path = typer.Option(..., "--data", help="Folder of held-out face photos (or one with test/)."),
    split: str = typer.Option(
        "test", "--split", help="test (DATA/test, or DATA) | val (the training faces 'train inpaint' holds out by default: "
        "choose the step to ship on these)."
    ),
    mask_ratio: str = typer.Option(
        "0.1-0.2,0.2-0.3,0.3-0.4,0.4-0.5", "--mask-ratio", help="Comma-separated hole-share buckets."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the masks (the same for every method)."),
    framing: str = typer.Option(
        "native,crop", "--framing", help="native: each image at its own size through the inpaint pipeline | "
        "crop: the centre square at the model's size (as in training); comma-separated for both."
    ),
    masks: str = typer.Option(
        "freeform,wide", "--masks", help="Mask families, comma-separated: freeform (the first model's training "
        "strokes) | wide (strokes of any width, boxes, blobs, border holes): a model tuned to one family shows it."
    ),
    face: str = INPAINT_FACE,
    method: str = INPAINT_METHOD,
    model: Optional[str] = INPAINT_MODEL,
    limit: Optional[int] = typer.Option(
        None, "--limit", min=1, help="Only the first N images (sorted by name): --method latent takes seconds per hole."
    ),
    device: str = DEVICE,
) -> None:
    """PSNR/SSIM/L1 per mask-ratio bucket: our model vs OpenCV Telea and Navier-Stokes, same masks."""
    from ganapps.data.masks import MASK_FAMILIES
    from ganapps.eval.inpaint import FRAMINGS, SPLITS, evaluate_inpainting

    ratios = _mask_ratios(mask_ratio)
    families = [m.strip() for m in masks.split(",") if m.strip()]
    if not families or any(m not in MASK_FAMILIES for m in families):
        raise UsageError(f"--masks {masks}: use one or more of {', '.join(MASK_FAMILIES)}, comma-separated")
    framings = [f.strip() for f in framing.split(",") if f.strip()]
    if not framings or any(f not in FRAMINGS for f in framings):
        raise UsageError(f"--framing {framing}: use native, crop or native,crop")
    _check_face_mode(face)
    if split not in SPLITS:
        raise UsageError(f"--split must be test or val, not {split!r}")
    weights = _inpaint_weights(method, model)
    for f in framings:
        for family in families:
            r = report_dataset_warnings(
                lambda f=f, m=family: evaluate_inpainting(
                    weights, data, ratios, seed, device, framing=f, face=face, masks=m, method=method, limit=limit,
                    split=split,
                )
            )
            _print_inpaint_table(r, f"{weights.stem} ({method})" if method != "net" else weights.stem)


def _print_inpaint_table(r: dict, model_label: str) -> None:
    """One framing's report as a table: per bucket ours, Telea and Navier-Stokes."""
    where = f"at their own size, --face {r['face']}" if r["framing"] == "native" else f"centre squares at {r['image_size']} px"
    faces = "held-out training faces" if r.get("split") == "val" else "images"
    table = Table(title=f"inpainting {r['n']} {faces} {where}, {r['masks']} masks, seed {r['seed']}: "
                        "PSNR (dB), SSIM, L1 over the whole image (RGB, 8-bit)")  # fmt: skip
    for col in ("mask ratio", "hole", "method", "PSNR", "SSIM", "L1", "vs Telea"):
        table.add_column(col, justify="left" if col == "method" else "right")
    methods = {"ours": model_label, "telea": "cv2 Telea", "ns": "cv2 Navier-Stokes"}
    for b in r["buckets"]:
        for i, (key, label) in enumerate(methods.items()):
            m = b[key]
            gain = f"{m['psnr'] - b['telea']['psnr']:+.2f}" if key == "ours" else ""
            bucket = (b["ratio"], f"{100 * b['hole']:.1f}%") if i == 0 else ("", "")
            table.add_row(*bucket, label, f"{m['psnr']:.2f}", f"{m['ssim']:.4f}", f"{m['l1']:.4f}", gain, end_section=i == 2)
    console.print(table)
