"""``ganapps generate`` and ``eval generate``: images from noise, and how good they are; ``lesson``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ganapps.errors import UsageError

from .common import OVERWRITE, app, console, eval_app, friendly_errors


MAX_GRID = 1024  # images in one generate grid (32×32 tiles)


@app.command()
@friendly_errors
def generate(
    model: str = typer.Option("dcgan-fashion", "--model", help="Shipped model name or a .safetensors path."),
    n: int = typer.Option(64, "-n", help="Number of images."),
    seed: int = typer.Option(0, "--seed"),
    output: Optional[Path] = typer.Option(
        None, "-o", "--output", help="Write one grid here: .png, or .gif for a latent walk (each sample moving "
        "through 4 random latents and back)."
    ),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Write one PNG per sample into this folder."),
    prompt: Optional[str] = typer.Option(
        None, "--prompt", help="Class-conditional models: what to draw, e.g. 'ankle boot', 'trainers', 'a tee'."
    ),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | auto"),
    overwrite: bool = OVERWRITE,
) -> None:
    """Synthesise images from random noise (DCGAN, image-folder GAN; a class from --prompt)."""
    from ganapps.api import load
    from ganapps.core.logging import write_gif, write_png

    if (output is None) == (out_dir is None):
        raise UsageError("give exactly one of -o FILE.png (a grid) or --out-dir DIR (one PNG per sample)")
    if output is not None and output.suffix.lower() not in (".png", ".gif"):
        raise UsageError(f"{output}: the grid is written as PNG (or a GIF latent walk); use a .png or .gif name")
    if n < 1:
        raise UsageError("-n must be at least 1")
    if output is not None and n > MAX_GRID:
        raise UsageError(f"-n {n} is too many for one grid (at most {MAX_GRID}); write them one per file with --out-dir")
    targets = [output] if output is not None else [out_dir / f"{seed}_{i:05d}.png" for i in range(n)]
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise UsageError(f"{existing[0]} exists{more}; pass --overwrite to replace it")
    pipe = load(model, device=device)
    if getattr(pipe, "task", None) != "generate":
        raise UsageError(f"{model} is not a generation model (task {pipe.task!r})")
    if prompt is not None and not pipe.classes:
        raise UsageError(f"{model} is not class-conditional: it takes no --prompt")
    label = None if prompt is None else pipe.label(prompt)
    what = "" if label is None else f" of class {pipe.classes[label]!r}"
    if output is not None and output.suffix.lower() == ".gif":
        frames = pipe.walk(n, seed=seed, label=label)
        write_gif(output, frames, ms_per_frame=80)
        console.print(f"wrote a latent walk of {n} images{what} ({len(frames)} frames) to {output}")
    elif output is not None:
        write_png(output, pipe.grid(n, seed=seed, label=label))
        console.print(f"wrote a grid of {n} images{what} to {output}")
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, img in zip(targets, pipe(n, seed=seed, label=label)):
            write_png(target, img)
        console.print(f"wrote {n} images to {out_dir}")


@eval_app.command("generate")
@friendly_errors
def eval_generate(
    model: str = typer.Option("dcgan-fashion", "--model"),
    data: Path = typer.Option(..., "--data", help="Folder with the IDX test files (t10k-*), or train/ and test/ photos."),
    classifier: str = typer.Option("fmnist-classifier", "--classifier", help="Feature network (name or path; IDX data)."),
    n: int = typer.Option(10000, "-n", help="Generated samples to score."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Classifier-FID, KID and class histogram (IDX data), or the two-sample test and memorisation
    check (photo models such as faces: --data holds train/ and test/ photos)."""
    from ganapps.core.checkpoint import read_metadata
    from ganapps.eval.generate import evaluate_generator, evaluate_photo_generator
    from ganapps.weights import resolve

    if read_metadata(resolve(model)).get("arch") == "imagegan_generator":
        r = evaluate_photo_generator(model, data, n=min(n, 500), seed=seed)
        table = Table(title=f"{model}: {r['n']} samples vs {r['n']} held-out photos at {r['image_size']} px")
        table.add_column("figure")
        table.add_column("value")
        table.add_row("two-sample test: a fresh CNN tells generated from real (50% = cannot)", f"{100 * r['two_sample_accuracy']:.1f}%")
        table.add_row("the same for real training vs real held-out photos (the scale)", f"{100 * r['real_vs_real_accuracy']:.1f}%")
        table.add_row("median distance to the nearest training photo: samples", f"{r['fake_to_train']:.4f}")
        table.add_row("the same for real held-out photos", f"{r['heldout_to_train']:.4f}")
        table.add_row("ratio (≪ 1: samples copy the training set)", f"{r['ratio']:.2f}")
        console.print(table)
        return
    report = evaluate_generator(model, data, classifier, n=n, seed=seed)
    table = Table(title=f"{model}: {n} samples vs {report['n_real']} real test images")
    for col in ("images", "FID (classifier features)", "KID ×1000", "classifier accuracy / confidence"):
        table.add_column(col)
    table.add_row("generated", f"{report['fid']:.2f}", f"{1000 * report['kid']:.2f}", f"conf {report['confidence']:.3f}")
    table.add_row(
        "real test (floor)", f"{report['fid_floor']:.2f}", f"{1000 * report['kid_floor']:.2f}",
        f"acc {report['test_accuracy']:.4f}",
    )
    console.print(table)
    hist = Table(title="class histogram of generated images (real test is uniform: 10% each)")
    hist.add_column("class")
    hist.add_column("share")
    for name, share in report["histogram"].items():
        hist.add_row(name, f"{100 * share:.1f}%")
    console.print(hist)
    if report["asked"]:
        asked = Table(title="asked for a class (a prompt): share of its samples the classifier calls that class")
        asked.add_column("asked class")
        asked.add_column("called it")
        for name, share in report["asked"].items():
            asked.add_row(name, f"{100 * share:.1f}%", end_section=name != "overall" and name == list(report["asked"])[-2])
        console.print(asked)


# ------------------------------------------------------------------ lesson: the lecture's toy GAN
@app.command()
@friendly_errors
def lesson(
    epochs: int = typer.Option(100, "--epochs", min=1, help="Epochs of 100 alternating D/G steps."),
    seed: int = typer.Option(0, "--seed"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="PNG of real faces, G's faces and noise (rows)."),
) -> None:
    """The lecture's toy GAN: 2×2 faces, one-layer G and D, D's accuracy falling to 50%."""
    from ganapps.lesson import final_accuracy, picture, train

    g, history = train(epochs=epochs, seed=seed)
    console.print("epoch  D loss  G loss  D acc real  D acc fake  D acc")
    for r in history:
        console.print(
            f"{r.epoch:5d}  {r.d_loss:6.3f}  {r.g_loss:6.3f}  {100 * r.acc_real:9.0f}%  {100 * r.acc_fake:9.0f}%  {100 * r.accuracy:4.0f}%"
        )
    last = min(10, len(history))
    console.print(f"D accuracy over the last {last} epochs: {100 * final_accuracy(history, last):.0f}% (50% = it cannot tell)")
    if plot is not None:
        from ganapps.core.logging import write_png

        write_png(plot, picture(g, seed))
        console.print(f"real faces (top), G's faces (middle), noise (bottom): {plot}")
