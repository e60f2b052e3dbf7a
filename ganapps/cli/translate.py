"""``ganapps translate`` and ``eval translate``: CycleGAN and pix2pix models on people's images."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ganapps.errors import UsageError

from .common import (
    DEVICE, FORMAT, INPUTS, OUTPUT, OVERWRITE, PRECISION, QUALITY, app, check_precision, console, eval_app, finish_batch,
    friendly_errors, plan, report_dataset_warnings,
)


def _translation_weights(task: Optional[str], model: Optional[str]) -> Path:
    """The weights file for ``--model`` (a path or shipped name) or else the ``--task``'s shipped one."""
    from ganapps.pipelines.translate import TASKS
    from ganapps.weights import REGISTRY, resolve, weights_dir

    if model is not None:
        return resolve(model, "translate", aliases=[t.weights for t in TASKS.values()])
    if task is None:
        raise UsageError(f"give --task ({', '.join(TASKS)}) or --model PATH")
    name = TASKS[task].weights
    if name not in REGISTRY:
        raise FileNotFoundError(
            f"task {task!r}: its weights are not shipped yet (no {weights_dir() / name}.safetensors); "
            "train a model and pass --model PATH"
        )
    return resolve(name)


def _check_size(size: Optional[int]) -> None:
    if size is not None and size < 8:
        raise UsageError(f"--size must be at least 8, not {size}")


def _check_task(task: Optional[str]) -> None:
    from ganapps.pipelines.translate import TASKS
    from ganapps.weights import suggest

    if task is not None and task not in TASKS:
        raise UsageError(f"unknown task {task!r}{suggest(task, list(TASKS))}; choose one of {', '.join(TASKS)}")


@app.command()
@friendly_errors
def translate(
    inputs: list[str] = INPUTS,
    output: Path = OUTPUT,
    task: Optional[str] = typer.Option(None, "--task", help="horse2zebra | zebra2horse | facades | sketch2photo"),
    model: Optional[str] = typer.Option(
        None, "--model", help="A translation .safetensors exported by ganapps, instead of the task's weights."
    ),
    size: Optional[int] = typer.Option(None, "--size", help="Processing size of the shorter side (default: the model's, chosen on held-out photos)."),
    precision: str = PRECISION,
    device: str = DEVICE,
    fmt: Optional[str] = FORMAT,
    quality: Optional[int] = QUALITY,
    overwrite: bool = OVERWRITE,
) -> None:
    """Translate images: horse ↔ zebra, facade label map → photo, line drawing → photo."""
    from ganapps.pipelines.files import run_batch
    from ganapps.pipelines.translate import TranslatePipeline

    _check_task(task)
    _check_size(size)
    check_precision(precision, device)
    pairs, problems = plan(inputs, output, overwrite, fmt)
    result = None
    if pairs:
        pipe = TranslatePipeline(_translation_weights(task, model), device, precision=precision)
        result = run_batch(pairs, pipe.file_stages(size, quality), "translating")
        if result.written:
            rate = len(result.written) / max(result.model_seconds, 1e-9)
            console.print(f"processed at {size or pipe.default_size} px (shorter side); {rate:.2f} img/s on {pipe.device} (model time only)")
    finish_batch(problems, result)


@eval_app.command("translate")
@friendly_errors
def eval_translate(
    task: str = typer.Option(..., "--task", help="horse2zebra | zebra2horse | facades | sketch2photo"),
    data: Path = typer.Option(..., "--data", help="testA/testB (CycleGAN), test/ pairs (facades) or test/ photos (sketch2photo); train*/ for --split val."),
    model: Optional[str] = typer.Option(None, "--model", help="Weights to score instead of the task's shipped ones."),
    classifier: str = typer.Option(
        "horse-zebra-classifier", "--classifier",
        help="Domain classifier for CycleGAN tasks (name or .safetensors; train your own with 'ganapps train domain-classifier').",
    ),
    split: str = typer.Option(
        "test", "--split", help="test (test{A,B}/ or test/) or val (the images 'ganapps train' holds out of the training "
        "folder by default, with masks for CycleGAN: choose the step to ship on these)."
    ),
    masks: Optional[Path] = typer.Option(
        None, "--masks", help="CycleGAN: foreground masks named like the images, for background PSNR and foreground change."
    ),
    size: Optional[int] = typer.Option(None, "--size", help="CycleGAN: processing size of the shorter side (default: the model's)."),
    device: str = DEVICE,
) -> None:
    """Translation-success rate, scene and grid figures (CycleGAN) or PSNR/SSIM/L1 against ground truth (pix2pix)."""
    from ganapps.core.checkpoint import read_metadata
    from ganapps.eval.translate import SPLITS, evaluate_cyclegan, evaluate_pix2pix
    from ganapps.pipelines.translate import TASKS
    from ganapps.weights import resolve

    _check_task(task)
    info = TASKS[task]
    weights = _translation_weights(task, model)
    kind = read_metadata(weights).get("model")
    if not info.accepts(kind):
        raise UsageError(f"{weights} is a {kind} model; task {task!r} needs a {info.model} model")
    _check_size(size)
    if split not in SPLITS:
        raise UsageError(f"--split must be test or val, not {split!r}")
    if info.model == "cyclegan":
        r = report_dataset_warnings(
            lambda: evaluate_cyclegan(weights, data, info.source, resolve(classifier), device, split=split, masks=masks, size=size)
        )
        target = "B" if info.source == "A" else "A"
        where = f"test{info.source}" if split == "test" else f"held-out train{info.source}"
        table = Table(title=f"{task} ({info.what}): {r['n']} {where} images, processed at {r['image_size']} px")
        cols = {
            "translation success (→ " + target + ")": f"{100 * r['success_rate']:.1f}%",
            "untranslated inputs called " + target: f"{100 * r['untranslated_as_target']:.1f}%",
            "classifier accuracy, real test": f"{100 * r['classifier_accuracy']:.1f}% of {r['n_real']}",
        }
        if "background_psnr" in r:
            cols["background PSNR (dB)"] = f"{r['background_psnr']:.2f}"
            cols["foreground change (0-1)"] = f"{r['foreground_change']:.3f}"
        cols["grid score: outputs / inputs resized"] = f"{r['artifact_score']:.2f} / {r['artifact_score_resized_inputs']:.2f}"
        cols["img/s"] = f"{r['img_s']:.1f} ({r['device']})"
        table.add_column("figure")
        table.add_column("value")
        for row in cols.items():
            table.add_row(*row)
    else:
        if size is not None:
            raise UsageError("--size applies to CycleGAN tasks; pix2pix models are scored on their test pairs at the training size")
        r = report_dataset_warnings(lambda: evaluate_pix2pix(weights, data, device, split=split))
        where = "test pairs" if split == "test" else "held-out training pairs"
        table = Table(title=f"{task} ({info.what}): {r['n']} {where} at {r['image_size']} px")
        for col in ("PSNR (dB)", "SSIM", "L1 (0-1 scale)", "grid score: outputs / real photos", "img/s"):
            table.add_column(col)
        table.add_row(
            f"{r['psnr']:.2f}", f"{r['ssim']:.4f}", f"{r['l1']:.4f}",
            f"{r['artifact_score']:.2f} / {r['artifact_score_targets']:.2f}", f"{r['img_s']:.1f} ({r['device']})",
        )
        if "faces_found" in r:
            console.print(table)
            table = Table(title="is it a face? share of images in which the face detector finds one")
            kind = "test" if split == "test" else "held-out"
            for col in (f"outputs of {kind} drawings", f"real {kind} photos", f"outputs of {r['n_schematic']} people's drawings",
                        "those drawings themselves"):
                table.add_column(col)
            table.add_row(*(f"{100 * r[k]:.0f}%" for k in ("faces_found", "faces_found_targets", "schematic_faces_found",
                                                            "schematic_drawings_faces_found")))
    console.print(table)
