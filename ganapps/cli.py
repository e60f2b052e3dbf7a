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
from rich.markup import escape  # file names like "photo[1].jpg" are text, not markup
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
    """Errors are ours, one line each: the image libraries' own complaints about damaged files
    (Pillow's warnings, libpng/libjpeg lines on stderr) are silenced unless --debug."""
    from ganapps.data.native_stderr import silence

    _state["debug"] = debug
    if not debug:
        _quiet_pillow()
        silence()


def _quiet_pillow() -> None:
    """Pillow warns about damaged headers it can still parse; the file is reported by us instead."""
    import warnings

    warnings.filterwarnings("ignore", module=r"PIL\.")


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
            usage = isinstance(e, UsageError) or type(e).__name__ in ("UnknownModel", "UnknownPrompt")
            expected = (ValueError, OSError, CheckpointError, TrainingDiverged, RuntimeError)
            msg = str(e) if isinstance(e, expected) else f"{type(e).__name__}: {e}"
            err_console.print(f"[red]error:[/red] {escape(msg.splitlines()[0] if msg else type(e).__name__)}", highlight=False)
            raise typer.Exit(2 if usage else 1)

    return wrapper


def finish_batch(written: int, failures: list[str], what: str = "images") -> None:
    """Report a batch over user files: failures listed one per line; exit 1 if any failed."""
    for line in failures:
        err_console.print(f"[red]failed:[/red] {escape(line)}", highlight=False)
    console.print(f"wrote {written} {what}" + (f", {len(failures)} failed" if failures else ""))
    if failures:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------- train
MAX_GRID = 1024  # images in one generate grid (32×32 tiles)
VAL_PER_DOMAIN = 50  # ganapps.data.datasets.VAL_PER_DOMAIN, without importing torch for --help

NPROC = typer.Option(
    1, "--nproc", min=1, help="Processes on this machine (torchrun + DDP: gloo on CPU, one GPU each with NCCL); "
    "--batch-size stays the global batch."
)
COMPILE = typer.Option(False, "--compile", help="torch.compile the nets: faster steps (mostly on GPUs) after a slow start.")
INIT = typer.Option(
    None, "--init", help="Start a new run from exported generator weights (repeat for several generators), "
    "e.g. when the run folder is lost; the architecture must match."
)


def _init_files(init: Optional[list[Path]], resume: bool) -> list[Path]:
    """``--init`` files for a new run (``--resume`` continues one instead: not both)."""
    if init and resume:
        raise UsageError("--init starts a new run; --resume continues one: give one of them")
    return list(init or [])


def _distributed(nproc: int) -> None:
    """``--nproc N``: run this very command again as N torchrun processes, exit with their status."""
    from ganapps.core import distributed

    if nproc == 1:
        return
    if distributed.under_torchrun():
        raise UsageError("--nproc: this command already runs under torchrun; give one or the other")
    raise typer.Exit(distributed.launch(nproc, sys.argv[1:]))


def _class_names(data: Path, count: int) -> list[str]:
    """Class names for a labelled IDX folder: its ``classes.txt``, else Fashion-MNIST's for 10."""
    listed = data / "classes.txt"
    if listed.is_file():
        names = [line.strip() for line in listed.read_text().splitlines() if line.strip()]
        if len(names) < count:
            raise UsageError(f"{listed}: {len(names)} names for {count} classes")
        return names[:count]
    if count == 10:
        from ganapps.eval.generate import FASHION_CLASSES

        return list(FASHION_CLASSES)
    return [str(i) for i in range(count)]


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
    init: Optional[list[Path]] = INIT,
    conditional: bool = typer.Option(
        False, "--conditional", help="Class-conditional (projection D): sample by class or --prompt; names from "
        "classes.txt in --data (one per line), else Fashion-MNIST's for 10 classes."
    ),
    nproc: int = NPROC,
    compile_: bool = COMPILE,
) -> None:
    """DCGAN on Fashion-MNIST (or any MNIST-style IDX data)."""
    _distributed(nproc)
    import torch

    from ganapps.core.trainer import TrainConfig, Trainer
    from ganapps.data.idx import IDXImages
    from ganapps.tasks.dcgan import DCGANConfig, DCGANTask

    if epochs is None and iters is None:
        epochs = 25
    if epochs is not None and iters is not None:
        raise UsageError("give --epochs or --iters, not both")
    dataset = IDXImages(data, "train")
    names = _class_names(data, int(dataset.labels.max()) + 1) if conditional else None
    task_cfg = DCGANConfig(loss=loss, num_classes=len(names) if names else 0)
    cfg = TrainConfig(
        out=out, epochs=epochs, iters=iters, batch_size=batch_size, seed=seed, device=device, precision=precision,
        d_steps=5 if loss == "wgan-gp" else 1, compile=compile_, init=_init_files(init, resume),
        extra={"dcgan": vars(task_cfg), "data": str(data)},
    )
    torch.manual_seed(seed)  # --seed fixes the initial weights too
    trainer = Trainer(DCGANTask(task_cfg, names), dataset, cfg)
    summary = trainer.fit(resume=resume)
    _report_training(trainer, summary)


@train_app.command("image-gan")
@friendly_errors
def train_image_gan(
    data: Path = typer.Option(..., "--data", help="Folder of photos (or one with train/), e.g. faces; centre squares are used."),
    out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, metrics, samples, curves, generator (EMA)."),
    size: int = typer.Option(64, "--size", help="Image side: 32, 64 or 128."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Passes over the data (default 40)."),
    iters: Optional[int] = typer.Option(None, "--iters", help="Generator updates, instead of --epochs."),
    batch_size: int = typer.Option(64, "--batch-size"),
    ngf: int = typer.Option(64, "--ngf", help="Generator width at full resolution (the discriminator's is the same)."),
    precision: str = typer.Option("auto", "--precision", help="auto (bf16 on AMX CPUs/GPUs) | fp32 | bf16 | fp16"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    seed: int = typer.Option(0, "--seed"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
    init: Optional[list[Path]] = INIT,
    nproc: int = NPROC,
    compile_: bool = COMPILE,
) -> None:
    """Unconditional GAN on a folder of photos (faces that are not real): SN discriminator, hinge loss, EMA of G."""
    _distributed(nproc)
    from dataclasses import asdict

    import torch

    from ganapps.core.trainer import TrainConfig, Trainer
    from ganapps.data.datasets import ImageFolder
    from ganapps.nets.imagegan import SIZES
    from ganapps.tasks.imagegan import ImageGANConfig, ImageGANTask

    if size not in SIZES:
        raise UsageError(f"--size must be one of {', '.join(map(str, SIZES))}, not {size}")
    epochs, iters = _train_length(epochs, iters, 40)
    folder = data / "train" if (data / "train").is_dir() else data
    dataset = _report_dataset_warnings(lambda: ImageFolder(folder, size))
    task_cfg = ImageGANConfig(image_size=size, ngf=ngf, ndf=ngf)
    torch.manual_seed(seed)  # --seed fixes the initial weights too
    task = ImageGANTask(task_cfg)
    cfg = TrainConfig(
        out=out, epochs=epochs, iters=iters, batch_size=batch_size, seed=seed, device=device, precision=precision,
        ema=0.999, compile=compile_, init=_init_files(init, resume),
        extra={"image-gan": asdict(task_cfg), "data": str(data)},
    )
    trainer = Trainer(task, dataset, cfg)
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
    if summary.get("stopped"):
        console.print(f"stopped on request at step {trainer.step}, checkpointed: the same command with --resume goes on")


# ---------------------------------------------------------------------------------- generate
@app.command()
@friendly_errors
def generate(
    model: str = typer.Option("dcgan-fashion", "--model", help="Shipped model name or a .safetensors path."),
    n: int = typer.Option(64, "-n", help="Number of images."),
    seed: int = typer.Option(0, "--seed"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write one grid PNG here."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Write one PNG per sample into this folder."),
    prompt: Optional[str] = typer.Option(
        None, "--prompt", help="Class-conditional models: what to draw, e.g. 'ankle boot', 'trainers', 'a tee'."
    ),
    device: str = typer.Option("cpu", "--device", help="cpu | cuda | auto"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
) -> None:
    """Synthesise images from random noise (DCGAN, image-folder GAN; a class from --prompt)."""
    from ganapps.api import load
    from ganapps.core.logging import write_png

    if (output is None) == (out_dir is None):
        raise UsageError("give exactly one of -o FILE.png (a grid) or --out-dir DIR (one PNG per sample)")
    if output is not None and output.suffix.lower() != ".png":
        raise UsageError(f"{output}: the grid is written as PNG; use a .png name")
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
    if output is not None:
        write_png(output, pipe.grid(n, seed=seed, label=label))
        what = "" if label is None else f" of class {pipe.classes[label]!r}"
        console.print(f"wrote a grid of {n} images{what} to {output}")
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, img in zip(targets, pipe(n, seed=seed, label=label)):
            write_png(target, img)
        console.print(f"wrote {n} images to {out_dir}")


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
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """Export a generator to ONNX (dynamic batch/size) or TorchScript."""
    from ganapps.export import export_model
    from ganapps.weights import resolve

    if format not in ("onnx", "torchscript"):
        raise UsageError(f"--format must be onnx or torchscript, not {format!r}")
    if output.exists() and not overwrite:
        raise UsageError(f"{output} exists; pass --overwrite to replace it")
    export_model(resolve(model), format, output)
    console.print(f"wrote {output}")


# ---------------------------------------------- convert: the reference projects' checkpoints (issue 8)
@app.command()
@friendly_errors
def convert(
    checkpoint: Path = typer.Argument(..., help="A .pth of pytorch-CycleGAN-and-pix2pix, BasicSR, ESRGAN or Real-ESRGAN."),
    output: Path = typer.Option(..., "-o", "--output", help="The ganapps weights file to write (.safetensors)."),
    arch: Optional[str] = typer.Option(
        None, "--arch", help="resnet9 | resnet6 | unet256 | unet128 | msrresnet | rrdbnet (default: detected from the names)."
    ),
    scale: Optional[int] = typer.Option(None, "--scale", help="msrresnet/rrdbnet: the factor you expect (checked)."),
    running_stats: bool = typer.Option(
        False, "--running-stats", help="BatchNorm files (pix2pix zoo): use their running statistics, as the reference's "
        "'test.py --eval'; default: per-image statistics, as its plain test.py."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
) -> None:
    """Convert a CycleGAN/pix2pix or BasicSR/Real-ESRGAN checkpoint for translate/upscale (weights only, checked)."""
    from ganapps.convert import ARCHS, convert_checkpoint

    if output.suffix != ".safetensors":
        raise UsageError(f"-o {output}: converted weights are written as .safetensors")
    if arch is not None and arch not in ARCHS:
        raise UsageError(f"--arch must be one of {', '.join(ARCHS)}, not {arch!r}")
    if not checkpoint.is_file():
        raise UsageError(f"{checkpoint}: no such file")
    if output.exists() and not overwrite:
        raise UsageError(f"{output} exists; pass --overwrite to replace it")
    layout = convert_checkpoint(checkpoint, output, arch, scale, running_stats)
    if layout.meta["task"] == "upscale":
        use = f"ganapps upscale x{layout.meta['scale']} IMAGES -o OUT --model {output}"
    else:
        use = f"ganapps translate IMAGES -o OUT --model {output}"
    console.print(f"wrote {output} ({layout.describe()}); run it with: {use}", highlight=False, markup=False)


# -------------------------------------------------------------------------------------- eval
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


# ------------------------------------------------------- translate: CycleGAN and pix2pix (issue 3)
def _report_dataset_warnings(build: Callable):
    """Run ``build`` (which reads a dataset), printing its "skipped unreadable files" warning as one
    plain line instead of Python's two-line warning format."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if not _state["debug"]:
            _quiet_pillow()
        dataset = build()
    for w in caught:
        err_console.print(f"[yellow]warning:[/yellow] {escape(str(w.message))}", highlight=False)
    return dataset


def _train_length(epochs: Optional[int], iters: Optional[int], default_epochs: int) -> tuple[Optional[int], Optional[int]]:
    if epochs is not None and iters is not None:
        raise UsageError("give --epochs or --iters, not both")
    return (default_epochs if epochs is None and iters is None else epochs), iters


def _train_translation(
    task, dataset, out: Path, epochs: Optional[int], iters: Optional[int], batch_size: int, seed: int, device: str,
    precision: str, resume: bool, extra: dict, compile_: bool, init: Optional[list[Path]] = None,
) -> None:
    """Paper schedule for both heads: constant learning rate for the first half, then linear to 0."""
    from ganapps.core.trainer import TrainConfig, Trainer

    cfg = TrainConfig(
        out=out, epochs=epochs, iters=iters, batch_size=batch_size, seed=seed, device=device, precision=precision,
        lr_schedule="linear", decay_start=0.5, compile=compile_, init=_init_files(init, resume), extra=extra,
    )
    trainer = Trainer(task, dataset, cfg)
    summary = trainer.fit(resume=resume)
    _report_training(trainer, summary)


@train_app.command("cyclegan")
@friendly_errors
def train_cyclegan(
    data: Path = typer.Option(..., "--data", help="Folder with trainA/ and trainB/ (unpaired images)."),
    out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, metrics, samples, curves, generator_AtoB/BtoA."),
    size: int = typer.Option(256, "--size", help="Training crop; images are loaded 12% larger (286 for 256)."),
    epochs: Optional[int] = typer.Option(
        None, "--epochs", help="Passes over the larger domain (default 200: 100 constant LR + 100 decay)."
    ),
    iters: Optional[int] = typer.Option(None, "--iters", help="Generator updates, instead of --epochs."),
    batch_size: int = typer.Option(1, "--batch-size"),
    ngf: int = typer.Option(64, "--ngf", help="Generator width (32 trains ~4x faster on a CPU)."),
    n_blocks: Optional[int] = typer.Option(None, "--n-blocks", help="Residual blocks (default 9 at 256 px and up, 6 below)."),
    precision: str = typer.Option("auto", "--precision", help="auto (bf16 on AMX CPUs/GPUs) | fp32 | bf16 | fp16"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    seed: int = typer.Option(0, "--seed"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
    init: Optional[list[Path]] = INIT,
    upsample: str = typer.Option("resize", "--upsample", help="resize (no checkerboard) | transpose (the paper's)."),
    attention: bool = typer.Option(
        True, "--attention/--no-attention", help="Generators predict a mask and keep the input (the scene) outside it."
    ),
    val: int = typer.Option(
        VAL_PER_DOMAIN, "--val", help="Training images per domain held out for validation (masks from trainA_seg/, trainB_seg/)."
    ),
    judge: Optional[str] = typer.Option(
        None, "--judge", help="Domain classifier that scores validation translations, e.g. horse-zebra-classifier."
    ),
    nproc: int = NPROC,
    compile_: bool = COMPILE,
) -> None:
    """CycleGAN: unpaired translation between trainA and trainB (e.g. horse ↔ zebra)."""
    _distributed(nproc)
    from dataclasses import asdict

    import torch

    from ganapps.data.datasets import UnalignedDataset, fixed_batch, load_size_for
    from ganapps.tasks.cyclegan import CycleGANConfig, CycleGANTask, validation_sets

    epochs, iters = _train_length(epochs, iters, 200)
    dataset = _report_dataset_warnings(lambda: UnalignedDataset(data, "train", load_size_for(size), seed, val))
    task_cfg = CycleGANConfig(image_size=size, ngf=ngf, n_blocks=n_blocks, upsample=upsample, attention=attention)
    judge_net = _load_judge(judge) if judge else None
    torch.manual_seed(seed)  # --seed fixes the initial weights too
    task = CycleGANTask(task_cfg, fixed_batch(dataset, task_cfg.samples), validation_sets(dataset, size), judge_net)
    extra = {"cyclegan": asdict(task_cfg), "data": str(data), "val": val, "judge": judge}
    _train_translation(
        task, dataset, out, epochs, iters, batch_size, seed, device, precision, resume, extra, compile_, init
    )


def _load_judge(name_or_path: str):
    """A shipped or given domain classifier (``--judge``), checked to be one."""
    from ganapps.core.checkpoint import CheckpointError
    from ganapps.pipelines.base import load_net
    from ganapps.weights import resolve

    net, spec = load_net(resolve(name_or_path))
    if spec.get("task") != "classify-domains":
        raise CheckpointError(f"{name_or_path}: not a domain classifier (train one with 'ganapps train domain-classifier')")
    return net


@train_app.command("pix2pix")
@friendly_errors
def train_pix2pix(
    data: Path = typer.Option(..., "--data", help="Folder with train/ of side-by-side A|B images (or photos, with --sketch)."),
    out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, metrics, samples, curves, generator."),
    direction: str = typer.Option("AtoB", "--direction", help="AtoB | BtoA: which half is the input."),
    sketch: bool = typer.Option(
        False, "--sketch", help="DATA is a plain photo folder (or has train/): pair each photo with its line drawing."
    ),
    input_kind: Optional[str] = typer.Option(
        None, "--input-kind", help="photo | labels | sketch, recorded in the weights (default: sketch with --sketch, else photo)."
    ),
    size: int = typer.Option(256, "--size", help="Training crop; images are loaded 12% larger (286 for 256)."),
    epochs: Optional[int] = typer.Option(
        None, "--epochs", help="Passes over the data (default 200: 100 constant LR + 100 decay)."
    ),
    iters: Optional[int] = typer.Option(None, "--iters", help="Generator updates, instead of --epochs."),
    batch_size: int = typer.Option(1, "--batch-size"),
    ngf: int = typer.Option(64, "--ngf", help="Generator width."),
    precision: str = typer.Option("auto", "--precision", help="auto (bf16 on AMX CPUs/GPUs) | fp32 | bf16 | fp16"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    seed: int = typer.Option(0, "--seed"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
    init: Optional[list[Path]] = INIT,
    upsample: str = typer.Option("resize", "--upsample", help="resize (no checkerboard) | transpose (the paper's)."),
    nproc: int = NPROC,
    compile_: bool = COMPILE,
) -> None:
    """pix2pix: paired translation (label map → photo, sketch → photo, ...)."""
    _distributed(nproc)
    from dataclasses import asdict

    import torch

    from ganapps.data.datasets import DIRECTIONS, AlignedDataset, SketchPairs, fixed_batch, load_size_for
    from ganapps.tasks.pix2pix import INPUT_KINDS, Pix2PixConfig, Pix2PixTask

    if direction not in DIRECTIONS:
        raise UsageError(f"--direction must be AtoB or BtoA, not {direction!r}")
    input_kind = input_kind or ("sketch" if sketch else "photo")
    if input_kind not in INPUT_KINDS:
        raise UsageError(f"--input-kind must be one of {', '.join(INPUT_KINDS)}, not {input_kind!r}")
    if sketch and direction != "AtoB":
        raise UsageError("--sketch makes drawing → photo pairs; --direction does not apply")
    epochs, iters = _train_length(epochs, iters, 200)
    load = load_size_for(size)
    if sketch:
        folder = data / "train" if (data / "train").is_dir() else data
        dataset = _report_dataset_warnings(lambda: SketchPairs(folder, load, varied=True))
    else:
        dataset = _report_dataset_warnings(lambda: AlignedDataset(data, "train", load, direction))
    task_cfg = Pix2PixConfig(image_size=size, ngf=ngf, direction=direction, input_kind=input_kind, upsample=upsample)
    torch.manual_seed(seed)  # --seed fixes the initial weights too
    task = Pix2PixTask(task_cfg, fixed_batch(dataset, task_cfg.samples))
    extra = {"pix2pix": asdict(task_cfg), "data": str(data), "sketch": sketch}
    _train_translation(
        task, dataset, out, epochs, iters, batch_size, seed, device, precision, resume, extra, compile_, init
    )


@train_app.command("domain-classifier")
@friendly_errors
def train_domain_classifier_cmd(
    data: Path = typer.Option(..., "--data", help="Folder with trainA/ and trainB/ (and testA/, testB/ to report accuracy)."),
    out: Path = typer.Option(..., "--out", help="Where to write the classifier (.safetensors)."),
    size: int = typer.Option(128, "--size"),
    epochs: int = typer.Option(10, "--epochs"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """The small A-vs-B classifier that 'ganapps eval translate' scores CycleGAN outputs with."""
    from ganapps.eval.domain import accuracy_on_test, save_domain_classifier, train_domain_classifier

    if out.suffix != ".safetensors":
        raise UsageError(f"--out {out}: the classifier is written as .safetensors")
    net = _report_dataset_warnings(lambda: train_domain_classifier(data, size, epochs, seed=seed))
    acc = None
    if (data / "testA").is_dir() and (data / "testB").is_dir():
        acc, n = _report_dataset_warnings(lambda: accuracy_on_test(net, data))
        console.print(f"accuracy on {n} real test images: {100 * acc:.1f}%")
    save_domain_classifier(net, out, acc, data)
    console.print(f"wrote {out}")


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


def _check_half(half: bool, device: str) -> None:
    from ganapps.core.device import resolve_device

    if half and resolve_device(device).type != "cuda":
        raise UsageError("--half needs a CUDA GPU (on CPU, bf16 is used automatically where the CPU has AMX)")


def _check_task(task: Optional[str]) -> None:
    from ganapps.pipelines.translate import TASKS
    from ganapps.weights import suggest

    if task is not None and task not in TASKS:
        raise UsageError(f"unknown task {task!r}{suggest(task, list(TASKS))}; choose one of {', '.join(TASKS)}")


@app.command()
@friendly_errors
def translate(
    inputs: list[str] = typer.Argument(..., help="Image files, folders or globs."),
    output: Path = typer.Option(
        ..., "-o", "--output", help="Output folder (one PNG per input, same stem), or FILE.png for one input."
    ),
    task: Optional[str] = typer.Option(None, "--task", help="horse2zebra | zebra2horse | facades | sketch2photo"),
    model: Optional[str] = typer.Option(
        None, "--model", help="A translation .safetensors exported by ganapps, instead of the task's weights."
    ),
    size: Optional[int] = typer.Option(None, "--size", help="Processing size of the shorter side (default: the training size)."),
    half: bool = typer.Option(False, "--half", help="fp16 on a CUDA GPU (CPUs with AMX use bf16 automatically)."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
) -> None:
    """Translate images: horse ↔ zebra, facade label map → photo, line drawing → photo."""
    from ganapps.pipelines.files import OutputPlanError, plan_outputs, run_batch
    from ganapps.pipelines.translate import TranslatePipeline

    _check_task(task)
    if size is not None and size < 8:
        raise UsageError(f"--size must be at least 8, not {size}")
    _check_half(half, device)
    try:
        pairs, problems = plan_outputs(inputs, output, overwrite)
    except OutputPlanError as e:
        raise UsageError(str(e)) from None
    written: list[Path] = []
    if pairs:
        pipe = TranslatePipeline(_translation_weights(task, model), device, precision="fp16" if half else "auto")
        result = run_batch(pairs, pipe.file_stages(size), "translating")
        written, problems = result.written, problems + result.failures
        if written:
            console.print(f"{len(written) / max(result.model_seconds, 1e-9):.2f} img/s on {pipe.device} (model time only)")
    finish_batch(len(written), problems)


@eval_app.command("translate")
@friendly_errors
def eval_translate(
    task: str = typer.Option(..., "--task", help="horse2zebra | zebra2horse | facades | sketch2photo"),
    data: Path = typer.Option(..., "--data", help="testA/testB (CycleGAN), test/ pairs (facades) or test photos (sketch2photo)."),
    model: Optional[str] = typer.Option(None, "--model", help="Weights to score instead of the task's shipped ones."),
    classifier: str = typer.Option(
        "horse-zebra-classifier", "--classifier",
        help="Domain classifier for CycleGAN tasks (name or .safetensors; train your own with 'ganapps train domain-classifier').",
    ),
    split: str = typer.Option(
        "test", "--split", help="CycleGAN: test (test{A,B}/) or val (the images training held out of train{A,B}/, with masks)."
    ),
    masks: Optional[Path] = typer.Option(
        None, "--masks", help="CycleGAN: foreground masks named like the images, for background PSNR and foreground change."
    ),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
) -> None:
    """Translation-success rate, scene and grid figures (CycleGAN) or PSNR/SSIM/L1 against ground truth (pix2pix)."""
    from ganapps.core.checkpoint import read_metadata
    from ganapps.eval.translate import evaluate_cyclegan, evaluate_pix2pix
    from ganapps.pipelines.translate import TASKS
    from ganapps.weights import resolve

    _check_task(task)
    info = TASKS[task]
    weights = _translation_weights(task, model)
    kind = read_metadata(weights).get("model")
    if kind != info.model:
        raise UsageError(f"{weights} is a {kind} model; task {task!r} needs a {info.model} model")
    if info.model == "cyclegan":
        if split not in ("test", "val"):
            raise UsageError(f"--split must be test or val, not {split!r}")
        r = _report_dataset_warnings(
            lambda: evaluate_cyclegan(weights, data, info.source, resolve(classifier), device, split=split, masks=masks)
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
        r = _report_dataset_warnings(lambda: evaluate_pix2pix(weights, data, device))
        table = Table(title=f"{task} ({info.what}): {r['n']} test pairs at {r['image_size']} px")
        for col in ("PSNR (dB)", "SSIM", "L1 (0-1 scale)", "grid score: outputs / real photos", "img/s"):
            table.add_column(col)
        table.add_row(
            f"{r['psnr']:.2f}", f"{r['ssim']:.4f}", f"{r['l1']:.4f}",
            f"{r['artifact_score']:.2f} / {r['artifact_score_targets']:.2f}", f"{r['img_s']:.1f} ({r['device']})",
        )
    console.print(table)


# --------------------------------------------------------- upscale: SRResNet and SRGAN (issue 4)
SR_STEPS_PER_EPOCH = 1000  # an SR "epoch" is this many steps of random crops, whatever the folder size
SR_MODELS = ("srgan", "srresnet")


def _sr_scale(factor: str) -> int:
    if factor not in ("x2", "x4"):
        raise UsageError(f"upscale factor must be x2 or x4, not {factor!r}")
    return int(factor[1:])


def _sr_weights(model: str, scale: int) -> Path:
    """``srgan``/``srresnet`` → the shipped ``<name>-x<scale>`` file; anything else a path or shipped name."""
    from ganapps.weights import REGISTRY, resolve, weights_dir

    if model not in SR_MODELS:
        return resolve(model, "upscale", aliases=SR_MODELS)
    name = f"{model}-x{scale}"
    if name not in REGISTRY:
        raise FileNotFoundError(
            f"no shipped {name} weights yet (no {weights_dir() / name}.safetensors); "
            f"train one with 'ganapps train {model}' and pass --model PATH"
        )
    return resolve(name)


def _train_sr(
    name: str, task_cfg, data: list[Path], out: Path, crop: int, epochs: Optional[int], iters: Optional[int],
    batch_size: int, precision: str, device: str, seed: int, resume: bool, compile_: bool,
) -> None:
    import torch

    from ganapps.core.trainer import TrainConfig, Trainer
    from ganapps.data.sr import SRCrops
    from ganapps.tasks.srgan import SRGANTask, SRResNetTask

    if epochs is not None and iters is not None:
        raise UsageError("give --epochs or --iters, not both")
    if epochs is None and iters is None:
        iters = 100_000
    if task_cfg.scale not in (2, 4):
        raise UsageError(f"--scale must be 2 or 4, not {task_cfg.scale}")
    if crop % task_cfg.scale:
        raise UsageError(f"--crop {crop} must be a multiple of --scale {task_cfg.scale}")
    dataset = _report_dataset_warnings(
        lambda: SRCrops(data, task_cfg.scale, crop, min_items=SR_STEPS_PER_EPOCH * batch_size, seed=seed)
    )
    if dataset.skipped:
        err_console.print(f"[yellow]warning:[/yellow] skipped {len(dataset.skipped)} images smaller than {crop} px")
    fixed = [dataset[i] for i in range(min(3, len(dataset)))]
    samples = {k: torch.stack([item[k] for item in fixed]) for k in ("lr", "hr")}
    task = (SRResNetTask if name == "srresnet" else SRGANTask)(task_cfg, samples)
    cfg = TrainConfig(
        out=out, epochs=epochs, iters=iters, batch_size=batch_size, seed=seed, device=device, precision=precision,
        lr_schedule="cosine", compile=compile_, extra={name: vars(task_cfg), "data": [str(d) for d in data], "crop": crop},
    )
    trainer = Trainer(task, dataset, cfg)
    summary = trainer.fit(resume=resume)
    _report_training(trainer, summary)


_SR_DATA_HELP = "Folder of HR training images (repeat --data for several, e.g. T91 and BSDS200)."


@train_app.command("srresnet")
@friendly_errors
def train_srresnet(
    data: list[Path] = typer.Option(..., "--data", help=_SR_DATA_HELP),
    out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, metrics, samples, srresnet.safetensors."),
    scale: int = typer.Option(4, "--scale", help="2 or 4."),
    crop: int = typer.Option(96, "--crop", help="HR crop size in pixels."),
    init: Optional[str] = typer.Option(None, "--init", help="SRResNet weights to start from."),
    loss: str = typer.Option("l1", "--loss", help="l1 | mse (the paper's)"),
    epochs: Optional[int] = typer.Option(None, "--epochs", help=f"Epochs of {SR_STEPS_PER_EPOCH} steps."),
    iters: Optional[int] = typer.Option(None, "--iters", help="Generator updates (default 100000)."),
    batch_size: int = typer.Option(16, "--batch-size"),
    precision: str = typer.Option("auto", "--precision", help="auto (bf16 on AMX CPUs/GPUs) | fp32 | bf16 | fp16"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    seed: int = typer.Option(0, "--seed"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
    nproc: int = NPROC,
    compile_: bool = COMPILE,
) -> None:
    """SRResNet, PSNR-oriented (phase 1 of SRGAN): generator only, pixel loss."""
    _distributed(nproc)
    from ganapps.tasks.srgan import SRResNetTaskConfig

    cfg = SRResNetTaskConfig(scale=scale, loss=loss, init=init)
    _train_sr("srresnet", cfg, data, out, crop, epochs, iters, batch_size, precision, device, seed, resume, compile_)


@train_app.command("srgan")
@friendly_errors
def train_srgan(
    data: list[Path] = typer.Option(..., "--data", help=_SR_DATA_HELP),
    out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, metrics, samples, srgan.safetensors."),
    scale: int = typer.Option(4, "--scale", help="2 or 4."),
    crop: int = typer.Option(96, "--crop", help="HR crop size in pixels."),
    init: Optional[str] = typer.Option(None, "--init", help="SRResNet weights from 'train srresnet' (strongly recommended)."),
    vgg_weights: Optional[Path] = typer.Option(
        None, "--vgg-weights", help="torchvision VGG19 state dict (.pth) for the paper's VGG54 loss; "
        "without it: L1 + FFT-magnitude + feature matching."
    ),
    epochs: Optional[int] = typer.Option(None, "--epochs", help=f"Epochs of {SR_STEPS_PER_EPOCH} steps."),
    iters: Optional[int] = typer.Option(None, "--iters", help="Generator updates (default 100000)."),
    batch_size: int = typer.Option(16, "--batch-size"),
    precision: str = typer.Option("auto", "--precision", help="auto (bf16 on AMX CPUs/GPUs) | fp32 | bf16 | fp16"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    seed: int = typer.Option(0, "--seed"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
    nproc: int = NPROC,
    compile_: bool = COMPILE,
) -> None:
    """SRGAN (phase 2): content loss + 1e-3 adversarial, started from SRResNet weights."""
    _distributed(nproc)
    from ganapps.tasks.srgan import SRGANTaskConfig

    cfg = SRGANTaskConfig(scale=scale, init=init, vgg_weights=str(vgg_weights) if vgg_weights else None)
    _train_sr("srgan", cfg, data, out, crop, epochs, iters, batch_size, precision, device, seed, resume, compile_)


@app.command()
@friendly_errors
def upscale(
    factor: str = typer.Argument(..., help="x2 or x4."),
    inputs: list[str] = typer.Argument(..., help="Image files, folders or globs."),
    output: Path = typer.Option(..., "-o", "--output", help="Output folder (one PNG per input, same stem), or FILE.png for one input."),
    model: str = typer.Option("srgan", "--model", help="srgan | srresnet | a .safetensors PATH"),
    tile: int = typer.Option(128, "--tile", help="Tile size in input pixels (bounds memory); 0 = whole image at once."),
    tile_overlap: int = typer.Option(16, "--tile-overlap", help="Input pixels shared by neighbouring tiles (≤ tile/2)."),
    half: bool = typer.Option(False, "--half", help="fp16 on a CUDA GPU (CPUs with AMX use bf16 automatically)."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
) -> None:
    """Super-resolve images ×2 or ×4 (RGB, RGBA, gray, 16-bit; any size, tiled)."""
    import time

    from ganapps.pipelines.files import OutputPlanError, plan_outputs, run_batch
    from ganapps.pipelines.tiling import check_tiling
    from ganapps.pipelines.upscale import UpscalePipeline

    scale = _sr_scale(factor)
    try:
        check_tiling(tile, tile_overlap)
    except ValueError as e:
        raise UsageError(f"--tile/--tile-overlap: {e}") from None
    _check_half(half, device)
    try:
        pairs, problems = plan_outputs(inputs, output, overwrite)
    except OutputPlanError as e:
        raise UsageError(str(e)) from None
    written: list[Path] = []
    if pairs:
        pipe = UpscalePipeline(_sr_weights(model, scale), device, "fp16" if half else "auto", tile, tile_overlap)
        if pipe.scale != scale:
            raise UsageError(f"{model} upscales ×{pipe.scale}; use 'ganapps upscale x{pipe.scale}' or another --model")
        start = time.perf_counter()
        result = run_batch(pairs, pipe.file_stages(), f"upscaling ×{scale}")
        written, problems = result.written, problems + result.failures
        if written:
            console.print(f"{time.perf_counter() - start:.1f} s on {pipe.device}")
    finish_batch(len(written), problems)


@eval_app.command("upscale")
@friendly_errors
def eval_upscale(
    data: list[Path] = typer.Option(..., "--data", help="Benchmark folder of HR images (Set5, Set14, BSD100...); repeat --data."),
    scale: int = typer.Option(4, "--scale", help="2 or 4."),
    model: Optional[list[str]] = typer.Option(
        None, "--model", help="srresnet | srgan | PATH, repeatable (default: the shipped srresnet and srgan)."
    ),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
) -> None:
    """PSNR/SSIM on Y (BT.601, `scale` px border shaved), LR by MATLAB bicubic: the SR papers' table."""
    from ganapps.eval.sr import bicubic, evaluate_folder
    from ganapps.pipelines.upscale import UpscalePipeline
    from ganapps.weights import REGISTRY

    if scale not in (2, 4):
        raise UsageError(f"--scale must be 2 or 4, not {scale}")
    names = model or [m for m in SR_MODELS[::-1] if f"{m}-x{scale}" in REGISTRY]
    methods = {"bicubic": bicubic(scale)}
    for name in names:
        pipe = UpscalePipeline(_sr_weights(name, scale), device, precision="fp32")
        if pipe.scale != scale:
            raise UsageError(f"--model {name} upscales ×{pipe.scale}, not ×{scale}")
        methods[Path(name).stem] = pipe.upscale_tensor
    table = Table(title=f"×{scale} super-resolution: PSNR (dB) / SSIM on Y, {scale} px border shaved, fp32")
    table.add_column("set")
    table.add_column("images", justify="right")
    for label in methods:
        table.add_column(label, justify="right")
    for folder in data:
        scores = evaluate_folder(folder, scale, methods)
        images = next(iter(scores.values())).images
        table.add_row(folder.name, str(images), *(f"{s.psnr:.2f} / {s.ssim:.4f}" for s in scores.values()))
    console.print(table)


# ------------------------------------------------------------- inpaint: gated convolutions (issue 5)
INPAINT_MODEL = "inpaint-faces"


def _inpaint_weights(model: str) -> Path:
    """``--model``: a shipped name or a path; the default name before its weights are shipped is a
    clear error, not an 'unknown model'."""
    from ganapps.weights import REGISTRY, resolve, weights_dir

    if model == INPAINT_MODEL and model not in REGISTRY:
        raise FileNotFoundError(
            f"no shipped {model} weights yet (no {weights_dir() / model}.safetensors); "
            "train one with 'ganapps train inpaint' and pass --model PATH"
        )
    return resolve(model, "inpaint", aliases=[INPAINT_MODEL])


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


def _check_face_mode(face: str) -> None:
    if face not in ("auto", "off"):
        raise UsageError(f"--face {face}: use auto or off")


@train_app.command("inpaint")
@friendly_errors
def train_inpaint(
    data: Path = typer.Option(..., "--data", help="Folder of face photos (or one with train/); centre squares are used."),
    out: Path = typer.Option(..., "--out", help="Run folder: checkpoints, metrics, samples, curves, generator."),
    size: int = typer.Option(128, "--size", help="Training resolution (square)."),
    mask_ratio: str = typer.Option("0.05-0.6", "--mask-ratio", help="Hole share of the training masks, e.g. 0.05-0.6."),
    masks: str = typer.Option(
        "wide", "--masks", help="Training mask family: wide (strokes of any width, boxes, blobs, border holes) | freeform."
    ),
    width: int = typer.Option(32, "--width", help="Generator width (DeepFill v2's cnum; the paper's is 48)."),
    epochs: Optional[int] = typer.Option(
        None, "--epochs", help="Passes over the data (default 40; the LR decays linearly over the second half)."
    ),
    iters: Optional[int] = typer.Option(None, "--iters", help="Generator updates, instead of --epochs."),
    batch_size: int = typer.Option(8, "--batch-size"),
    precision: str = typer.Option("auto", "--precision", help="auto (bf16 on AMX CPUs/GPUs) | fp32 | bf16 | fp16"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    seed: int = typer.Option(0, "--seed"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped."),
    init: Optional[list[Path]] = INIT,
    nproc: int = NPROC,
    compile_: bool = COMPILE,
) -> None:
    """Face inpainting: gated-convolution generator, SN-PatchGAN, hole-weighted L1 + hinge GAN."""
    _distributed(nproc)
    from dataclasses import asdict

    import torch

    from ganapps.core.trainer import TrainConfig, Trainer
    from ganapps.data.datasets import ImageFolder, fixed_batch
    from ganapps.data.masks import MASK_FAMILIES
    from ganapps.tasks.inpaint import InpaintConfig, InpaintTask

    ratios = _mask_ratios(mask_ratio)
    if len(ratios) != 1:
        raise UsageError("--mask-ratio: training takes one range, e.g. 0.1-0.5")
    if size < 8 or width < 2:
        raise UsageError("--size must be at least 8 and --width at least 2")
    if masks not in MASK_FAMILIES:
        raise UsageError(f"--masks {masks}: use one of {', '.join(MASK_FAMILIES)}")
    epochs, iters = _train_length(epochs, iters, 40)
    folder = data / "train" if (data / "train").is_dir() else data
    dataset = _report_dataset_warnings(lambda: ImageFolder(folder, size))
    task_cfg = InpaintConfig(image_size=size, width=width, mask_ratio=ratios[0], masks=masks)
    torch.manual_seed(seed)  # --seed fixes the initial weights too
    task = InpaintTask(task_cfg, fixed_batch(dataset, task_cfg.samples))
    cfg = TrainConfig(
        out=out, epochs=epochs, iters=iters, batch_size=batch_size, seed=seed, device=device, precision=precision,
        lr_schedule="linear", decay_start=0.5, channels_last=True,  # channels_last: ~1.4× faster gated convs on CPU
        compile=compile_, init=_init_files(init, resume), extra={"inpaint": asdict(task_cfg), "data": str(data)},
    )
    trainer = Trainer(task, dataset, cfg)
    summary = trainer.fit(resume=resume)
    _report_training(trainer, summary)


@app.command()
@friendly_errors
def inpaint(
    inputs: list[str] = typer.Argument(..., help="Image files, folders or globs."),
    output: Path = typer.Option(
        ..., "-o", "--output", help="Output folder (one PNG per input, same stem), or FILE.png for one input."
    ),
    mask: Optional[Path] = typer.Option(
        None, "--mask", help="Mask image (non-zero = missing; the image's size) or a folder of masks named like the images. "
        "An all-zero mask returns the image unchanged."
    ),
    random_mask: bool = typer.Option(
        False, "--random-mask", help="Draw a free-form mask (20-40% of the image), written next to the output as STEM_mask.png."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of --random-mask (each file's mask also depends on its name)."),
    face: str = INPAINT_FACE,
    model: str = typer.Option(INPAINT_MODEL, "--model", help="Shipped model name or a .safetensors path."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing outputs."),
) -> None:
    """Fill the masked part of images; every pixel outside the mask is returned unchanged."""
    from ganapps.pipelines.files import OutputPlanError, plan_outputs, run_batch
    from ganapps.pipelines.inpaint import InpaintPipeline, pair_masks, plan_demo_masks

    if (mask is None) == (not random_mask):
        raise UsageError("give exactly one of --mask MASK (file or folder) or --random-mask")
    _check_face_mode(face)
    if mask is not None and not mask.exists():
        raise UsageError(f"--mask {mask}: no such file or folder")
    try:
        pairs, problems = plan_outputs(inputs, output, overwrite)
    except OutputPlanError as e:
        raise UsageError(str(e)) from None
    if mask is not None:
        masks, unpaired = pair_masks([src for src, _ in pairs], mask)
        pairs, problems = [p for p in pairs if p[0] in masks], problems + unpaired
    else:
        pairs, clashes = plan_demo_masks(pairs, overwrite)
        problems += clashes
    written: list[Path] = []
    if pairs:
        pipe = InpaintPipeline(_inpaint_weights(model), device, face=face)
        notes: list[str] = []  # printed after the progress bar, on stdout: they are not failures
        if mask is not None:
            result = run_batch(pairs, lambda src, dst: pipe.inpaint_file(src, dst, mask=masks[src], log=notes.append), "inpainting")
        else:
            result = run_batch(pairs, lambda src, dst: pipe.inpaint_file(src, dst, seed=seed, log=notes.append), "inpainting")
        for line in notes:
            console.print(f"note: {escape(line)}", highlight=False)
        written, problems = result.written, problems + result.failures
    finish_batch(len(written), problems)


@eval_app.command("inpaint")
@friendly_errors
def eval_inpaint(
    data: Path = typer.Option(..., "--data", help="Folder of held-out face photos (or one with test/)."),
    mask_ratio: str = typer.Option(
        "0.1-0.2,0.2-0.3,0.3-0.4,0.4-0.5", "--mask-ratio", help="Comma-separated hole-share buckets."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the masks (the same for every method)."),
    framing: str = typer.Option(
        "native,crop", "--framing", help="native: each image at its own size through the inpaint pipeline | "
        "crop: the centre square at the model's size (as in training); comma-separated for both."
    ),
    face: str = INPAINT_FACE,
    model: str = typer.Option(INPAINT_MODEL, "--model", help="Shipped model name or a .safetensors path."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
) -> None:
    """PSNR/SSIM/L1 per mask-ratio bucket: our model vs OpenCV Telea and Navier-Stokes, same masks."""
    from ganapps.eval.inpaint import FRAMINGS, evaluate_inpainting

    ratios = _mask_ratios(mask_ratio)
    framings = [f.strip() for f in framing.split(",") if f.strip()]
    if not framings or any(f not in FRAMINGS for f in framings):
        raise UsageError(f"--framing {framing}: use native, crop or native,crop")
    _check_face_mode(face)
    weights = _inpaint_weights(model)
    for f in framings:
        r = _report_dataset_warnings(lambda f=f: evaluate_inpainting(weights, data, ratios, seed, device, framing=f, face=face))
        _print_inpaint_table(r, Path(model).stem)


def _print_inpaint_table(r: dict, model_label: str) -> None:
    """One framing's report as a table: per bucket ours, Telea and Navier-Stokes."""
    where = f"at their own size, --face {r['face']}" if r["framing"] == "native" else f"centre squares at {r['image_size']} px"
    table = Table(title=f"inpainting {r['n']} images {where}, mask seed {r['seed']}: "
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


# ------------------------------------------------------------------ demo: a local web page (issue 17)
@app.command()
@friendly_errors
def demo(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on (0.0.0.0: every network you are on)."),
    port: int = typer.Option(7860, "--port", min=1, max=65535),
    share: bool = typer.Option(False, "--share", help="Also open a temporary public link through Gradio's servers."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
) -> None:
    """A web page to draw a face, paint a hole, upscale a photo... (needs the demo extra: Gradio)."""
    from ganapps.demo import INSTALL_HINT, gradio_available

    if not gradio_available():
        raise UsageError(INSTALL_HINT)
    from ganapps.demo.page import serve

    serve(device, host, port, share)


def run() -> None:  # pragma: no cover - entry for `python -m ganapps`
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
