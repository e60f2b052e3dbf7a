"""The ``ganapps`` command: one thin function per subcommand over the Python API.

Exit codes: 0 success, 1 some inputs failed (or training stopped on an error), 2 usage errors.
Errors are one line on stderr; ``ganapps --debug ...`` shows the traceback instead.
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, help="GANs put to work on real images.")
train_app = typer.Typer(no_args_is_help=True, help="Train a model from a folder of data.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure a model's quality.")
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
_state = {"debug": False}


class UsageError(ValueError):
    """Bad arguments (exit code 2)."""


@app.callback()
def main(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors.")) -> None:
    _state["debug"] = debug


def friendly_errors(fn: Callable) -> Callable:
    """Turn expected failures into one line on stderr and a non-zero exit (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from ganapps.core.checkpoint import CheckpointError
        from ganapps.core.trainer import TrainingDiverged

        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130)
        except Exception as e:  # noqa: BLE001 - the one place that turns errors into messages
            if _state["debug"]:
                raise
            usage = isinstance(e, UsageError) or type(e).__name__ == "UnknownModel"
            expected = (ValueError, OSError, CheckpointError, TrainingDiverged, RuntimeError)
            msg = str(e) if isinstance(e, expected) else f"{type(e).__name__}: {e}"
            err_console.print(f"[red]error:[/red] {msg.splitlines()[0] if msg else type(e).__name__}", highlight=False)
            raise typer.Exit(2 if usage else 1)

    return wrapper


def finish_batch(written: int, failures: list[str], what: str = "images") -> None:
    """Report a batch over user files: failures listed one per line; exit 1 if any failed."""
    for line in failures:
        err_console.print(f"[red]failed:[/red] {line}", highlight=False)
    console.print(f"wrote {written} {what}" + (f", {len(failures)} failed" if failures else ""))
    if failures:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------- train
@train_app.command("dcgan")
@friendly_errors
def train_dcgan(
    data: Path = typer.Option(..., "--data", help="Folder with MNIST-style IDX files (train-images-idx3-ubyte.gz ...)."),
    out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, metrics, samples, curves."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Passes over the data (default 25)."),
    iters: Optional[int] = typer.Option(None, "--iters", help="Generator updates, instead of --epochs."),
    batch_size: int = typer.Option(128, "--batch-size"),
    loss: str = typer.Option("vanilla", "--loss", help="vanilla | lsgan | hinge | wgan-gp"),
    precision: str = typer.Option("auto", "--precision", help="auto (bf16 on AMX CPUs/GPUs) | fp32 | bf16 | fp16"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    seed: int = typer.Option(0, "--seed"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
) -> None:
    """DCGAN on Fashion-MNIST (or any MNIST-style IDX data)."""
    from ganapps.core.trainer import TrainConfig, Trainer
    from ganapps.data.idx import IDXImages
    from ganapps.tasks.dcgan import DCGANConfig, DCGANTask

    if epochs is None and iters is None:
        epochs = 25
    if epochs is not None and iters is not None:
        raise UsageError("give --epochs or --iters, not both")
    dataset = IDXImages(data, "train")
    task_cfg = DCGANConfig(loss=loss)
    cfg = TrainConfig(
        out=out, epochs=epochs, iters=iters, batch_size=batch_size, seed=seed, device=device, precision=precision,
        d_steps=5 if loss == "wgan-gp" else 1, extra={"dcgan": vars(task_cfg), "data": str(data)},
    )
    trainer = Trainer(DCGANTask(task_cfg), dataset, cfg)
    summary = trainer.fit(resume=resume)
    _report_training(trainer, summary)


@train_app.command("classifier")
@friendly_errors
def train_classifier_cmd(
    data: Path = typer.Option(..., "--data", help="Folder with MNIST-style IDX files (train and t10k)."),
    out: Path = typer.Option(..., "--out", help="Where to write the classifier (.safetensors)."),
    epochs: int = typer.Option(8, "--epochs"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """The small Fashion-MNIST classifier whose features score generators (FID/KID)."""
    from ganapps.data.idx import IDXImages
    from ganapps.eval.classifier import accuracy, save_classifier, train_classifier
    from ganapps.eval.generate import FASHION_CLASSES

    if out.suffix != ".safetensors":
        raise UsageError(f"--out {out}: the classifier is written as .safetensors")
    train, test = IDXImages(data, "train"), IDXImages(data, "test")
    net = train_classifier(train, epochs=epochs, seed=seed)
    acc = accuracy(net, test.float_images(), test.labels)
    save_classifier(net, out, acc, FASHION_CLASSES)
    console.print(f"test accuracy {100 * acc:.2f}% on {len(test)} images; wrote {out}")


def _report_training(trainer, summary: dict) -> None:
    if not trainer.dist.is_main:
        return
    last = summary["last"]
    acc = ""
    if "d_acc_real" in last:
        acc = f", D accuracy real {100 * last['d_acc_real']:.1f}% / fake {100 * last['d_acc_fake']:.1f}%"
    console.print(
        f"trained {summary['steps']} steps in {summary['seconds']:.0f} s ({summary['img_s']:.0f} img/s){acc}; "
        f"run folder: {trainer.out}"
    )


# ---------------------------------------------------------------------------------- generate
@app.command()
@friendly_errors
def generate(
    model: str = typer.Option("dcgan-fashion", "--model", help="Shipped model name or a .safetensors path."),
    n: int = typer.Option(64, "-n", help="Number of images."),
    seed: int = typer.Option(0, "--seed"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write one grid PNG here."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Write one PNG per sample into this folder."),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | auto"),
) -> None:
    """Synthesise images from random noise (DCGAN)."""
    from ganapps.api import load
    from ganapps.core.logging import write_png

    if (output is None) == (out_dir is None):
        raise UsageError("give exactly one of -o FILE.png (a grid) or --out-dir DIR (one PNG per sample)")
    if output is not None and output.suffix.lower() != ".png":
        raise UsageError(f"{output}: the grid is written as PNG; use a .png name")
    pipe = load(model, device=device)
    if getattr(pipe, "task", None) != "generate":
        raise UsageError(f"{model} is not a generation model (task {pipe.task!r})")
    if output is not None:
        write_png(output, pipe.grid(n, seed=seed))
        console.print(f"wrote a grid of {n} images to {output}")
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(pipe(n, seed=seed)):
            write_png(out_dir / f"{seed}_{i:05d}.png", img)
        console.print(f"wrote {n} images to {out_dir}")


# ---------------------------------------------------------------------------- models, info
@app.command()
@friendly_errors
def models() -> None:
    """List the shipped weights."""
    from ganapps.weights import REGISTRY, weights_dir

    table = Table(title=f"shipped weights ({weights_dir()})")
    for col in ("name", "task", "size", "data", "key metric"):
        table.add_column(col)
    for m in REGISTRY.values():
        path = weights_dir() / f"{m.name}.safetensors"
        size = f"{path.stat().st_size / 1e6:.1f} MB" if path.exists() else "missing"
        table.add_row(m.name, m.task, size, m.data, m.metric)
    console.print(table)


@app.command()
def info() -> None:
    """Versions, devices and threads: what to paste into a bug report."""
    import platform

    import torch

    import ganapps
    from ganapps.core.device import autocast_dtype, cpu_has_amx

    table = Table(show_header=False)
    rows = {
        "ganapps": ganapps.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available",
        "cpu threads": str(torch.get_num_threads()),
        "cpu AMX (bf16)": "yes" if cpu_has_amx() else "no",
        "default precision": str(autocast_dtype(torch.device("cuda" if torch.cuda.is_available() else "cpu")) or "fp32"),
    }
    for name in ("kornia", "cv2", "safetensors", "onnxruntime"):
        try:
            rows[name] = __import__(name).__version__
        except ImportError:
            rows[name] = "not installed"
    for k, v in rows.items():
        table.add_row(k, v)
    console.print(table)


# ------------------------------------------------------------------------------------ export
@app.command()
@friendly_errors
def export(
    model: str = typer.Argument(..., help="Shipped model name or .safetensors path."),
    format: str = typer.Option("onnx", "--format", help="onnx | torchscript"),
    output: Path = typer.Option(..., "-o", "--output"),
) -> None:
    """Export a generator to ONNX (dynamic batch/size) or TorchScript."""
    from ganapps.export import export_model
    from ganapps.weights import resolve

    if format not in ("onnx", "torchscript"):
        raise UsageError(f"--format must be onnx or torchscript, not {format!r}")
    export_model(resolve(model), format, output)
    console.print(f"wrote {output}")


# -------------------------------------------------------------------------------------- eval
@eval_app.command("generate")
@friendly_errors
def eval_generate(
    model: str = typer.Option("dcgan-fashion", "--model"),
    data: Path = typer.Option(..., "--data", help="Folder with the IDX test files (t10k-*)."),
    classifier: str = typer.Option("fmnist-classifier", "--classifier", help="Feature network (name or path)."),
    n: int = typer.Option(10000, "-n", help="Generated samples to score."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Classifier-FID, KID and class histogram of generated vs real test images."""
    from ganapps.eval.generate import evaluate_generator

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


def run() -> None:  # pragma: no cover - entry for `python -m ganapps`
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
