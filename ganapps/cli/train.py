"""``ganapps train NAME``: one command per registered head, built from the head's declaration.

Every head gets the same run flags (``--out --epochs --iters --batch-size --precision --device
--seed --resume --init --nproc --compile``) plus the :func:`~ganapps.tasks.head.option` fields of
its inputs (``--data`` and how the data is read) and of its config (nets and losses). Heads are imported only when their command is asked for, so
``ganapps --help`` does not import torch. The two judges (classifiers) are plain commands.
"""
from __future__ import annotations

import inspect
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperGroup

from ganapps.errors import UsageError
from ganapps.tasks import HEADS, load_head
from ganapps.tasks.head import Head, flags_of, from_flags

from .common import app, console, friendly_errors, report_dataset_warnings


class HeadGroup(TyperGroup):
    """The ``train`` group: the registered heads, made into commands on demand."""

    def list_commands(self, ctx) -> list[str]:
        return sorted([*HEADS, *super().list_commands(ctx)])

    def get_command(self, ctx, name: str):
        return head_command(load_head(name)) if name in HEADS else super().get_command(ctx, name)


train_app = typer.Typer(cls=HeadGroup, no_args_is_help=True, help="Train a model from a folder of data.")
app.add_typer(train_app, name="train")


def _run_flags(head: Head) -> list[tuple[str, Any, Any]]:
    """(parameter, type, typer option) of the flags every head shares, with the head's defaults."""
    s = head.schedule(head.config())
    epochs_help = head.epochs_help + (f" (default {s.epochs})." if s.epochs and "default" not in head.epochs_help else "")
    iters_help = "Generator updates, instead of --epochs" + (f" (default {s.iters})." if s.iters else ".")
    return [
        ("out", Path, typer.Option(..., "--out", help="Run folder: checkpoints, metrics, samples, curves, exported weights.")),
        ("epochs", Optional[int], typer.Option(None, "--epochs", help=epochs_help)),
        ("iters", Optional[int], typer.Option(None, "--iters", help=iters_help)),
        ("batch_size", int, typer.Option(s.batch_size, "--batch-size", min=1)),
        ("precision", str, typer.Option("auto", "--precision", help="auto (bf16 on CPUs with AMX or AVX512-BF16, and GPUs) | fp32 | bf16 | fp16")),
        ("device", str, typer.Option("auto", "--device", help="auto | cpu | cuda")),
        ("seed", int, typer.Option(0, "--seed", help="Fixes the initial weights, the data order and the augmentation.")),
        ("resume", bool, typer.Option(False, "--resume", help="Continue the run in --out exactly where it stopped.")),
        ("init", Optional[list[str]], typer.Option(
            None, "--init", help="Start a new run from exported generator weights (a file or shipped name; repeat for "
            "several generators), e.g. when the run folder is lost; the architecture must match."
        )),
        ("nproc", int, typer.Option(
            1, "--nproc", min=1, help="Processes on this machine (torchrun + DDP: gloo on CPU, one GPU each with NCCL); "
            "--batch-size stays the global batch."
        )),
        ("compile_", bool, typer.Option(
            False, "--compile", help="torch.compile the nets after a minute of compiling: faster steps on some "
            "CPUs, slower on others (see the README; benchmarks/training_speed.py --compile tells)."
        )),
    ]


def head_command(head: Head):
    """A click command for ``head``: its signature is the run flags plus its config/inputs flags."""

    def param(name: str, tp: Any, opt: Any) -> inspect.Parameter:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=opt, annotation=tp)

    def own(prefix: str, cls: type) -> list[inspect.Parameter]:
        return [param(prefix + f.field, f.type, typer.Option(f.default, f.flag, help=f.help)) for f in flags_of(cls)]

    run_flags = [param(*flag) for flag in _run_flags(head)]  # --out first: the help reads data, out, head, run
    params = own("in_", head.inputs) + run_flags[:1] + own("cfg_", head.config) + run_flags[1:]

    def command(**values: Any) -> None:
        run = {name: values.pop(name) for name, _, _ in _run_flags(head)}
        config = from_flags(head.config, {k[4:]: v for k, v in values.items() if k.startswith("cfg_")})
        inputs = from_flags(head.inputs, {k[3:]: v for k, v in values.items() if k.startswith("in_")})
        train_head(head, config, inputs, **run)

    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = head.summary
    command.__name__ = head.name.replace("-", "_")
    sub = typer.Typer(add_completion=False)
    sub.command(head.name)(friendly_errors(command))
    click_command = typer.main.get_command(sub)
    click_command.name = head.name
    return click_command


def train_head(
    head: Head, config: Any, inputs: Any, out: Path, epochs: Optional[int], iters: Optional[int], batch_size: int,
    precision: str, device: str, seed: int, resume: bool, init: Optional[list[str]], nproc: int, compile_: bool,
) -> None:
    """Build the head's task and data, then train with its schedule (the flags override length and batch)."""
    _distributed(nproc)
    import torch

    from ganapps.core.trainer import TrainConfig, Trainer
    from ganapps.weights import resolve

    if init and resume:
        raise UsageError("--init starts a new run; --resume continues one: give one of them")
    if epochs is not None and iters is not None:
        raise UsageError("give --epochs or --iters, not both")
    schedule = head.schedule(config)
    if epochs is None and iters is None:
        epochs, iters = schedule.epochs, schedule.iters
    torch.manual_seed(seed)  # --seed fixes the initial weights too
    task, dataset = report_dataset_warnings(lambda: head.build(config, inputs, seed, batch_size))
    recorded = json.loads(json.dumps(asdict(inputs), default=str))  # paths as text, as run.json holds them
    cfg = TrainConfig(
        out=out, epochs=epochs, iters=iters, batch_size=batch_size, seed=seed, device=device, precision=precision,
        lr_schedule=schedule.lr_schedule, decay_start=schedule.decay_start, d_steps=schedule.d_steps, ema=schedule.ema,
        channels_last=schedule.channels_last, compile=compile_, init=[resolve(i) for i in init or []],
        extra={head.name: asdict(task.config), **recorded},
    )
    trainer = Trainer(task, dataset, cfg)
    summary = trainer.fit(resume=resume)
    _report_training(trainer, summary)


def _distributed(nproc: int) -> None:
    """``--nproc N``: run this very command again as N torchrun processes, exit with their status."""
    from ganapps.core import distributed

    if nproc == 1:
        return
    if distributed.under_torchrun():
        raise UsageError("--nproc: this command already runs under torchrun; give one or the other")
    raise typer.Exit(distributed.launch(nproc, sys.argv[1:]))


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


# ----------------------------------------------------------------- the judges: small classifiers
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


@train_app.command("domain-classifier")
@friendly_errors
def train_domain_classifier_cmd(
    data: Path = typer.Option(..., "--data", help="Folder with trainA/ and trainB/ (and testA/, testB/ to report accuracy)."),
    out: Path = typer.Option(..., "--out", help="Where to write the classifier (.safetensors)."),
    size: int = typer.Option(128, "--size"),
    epochs: int = typer.Option(30, "--epochs"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """The small A-vs-B classifier that 'ganapps eval translate' scores CycleGAN outputs with."""
    from ganapps.eval.domain import CLASSES, accuracy_by_class, save_domain_classifier, train_domain_classifier

    if out.suffix != ".safetensors":
        raise UsageError(f"--out {out}: the classifier is written as .safetensors")
    net = report_dataset_warnings(lambda: train_domain_classifier(data, size, epochs, seed=seed))
    acc = None
    if (data / "testA").is_dir() and (data / "testB").is_dir():
        counts = report_dataset_warnings(lambda: accuracy_by_class(net, data))
        n = sum(total for _, total in counts)
        acc = sum(correct for correct, _ in counts) / n
        per_class = ", ".join(f"{d} {100 * c / t:.1f}% of {t}" for d, (c, t) in zip(CLASSES, counts))
        console.print(f"accuracy on {n} real test images: {100 * acc:.1f}% ({per_class})")
    save_domain_classifier(net, out, acc, data)
    console.print(f"wrote {out}")
