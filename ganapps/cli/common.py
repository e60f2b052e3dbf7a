"""What every command shares: the apps, one-line errors, batch reports and the common options.

Exit codes: 0 success, 1 some inputs failed (or training stopped on an error), 2 usage errors.
Errors are one line on stderr; ``ganapps --debug ...`` shows the traceback instead.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

import typer
from rich.console import Console
from rich.markup import escape  # file names like "photo[1].jpg" are text, not markup

from ganapps.errors import UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="GANs put to work on real images.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure a model's quality.")
app.add_typer(eval_app, name="eval")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
_state = {"debug": False}

DEVICE = typer.Option("auto", "--device", help="auto | cpu | cuda")
OVERWRITE = typer.Option(False, "--overwrite", help="Replace existing outputs.")
PRECISION = typer.Option(
    "auto", "--precision", help="auto (bf16 on CPUs with AMX or AVX512-BF16, and GPUs; int8 on VNNI CPUs without native bf16 when it passes its "
    "40 dB check; else fp32) | fp32 | bf16 | fp16 (CUDA) | int8 (CPU, ONNX Runtime, quantized once per model and "
    "cached; needs the onnx extra)."
)
OUTPUT = typer.Option(
    ..., "-o", "--output", help="Output folder (one image per input, same stem), or a file for one input: its name says "
    "the format (.png, .jpg, .webp, .tif, .bmp)."
)
FORMAT = typer.Option(None, "--format", help="Format of the files in an output folder: png (default) | jpg | webp | tif | bmp.")
QUALITY = typer.Option(None, "--quality", min=1, max=100, help="JPEG and WebP quality (default 95).")
INPUTS = typer.Argument(..., help="Image files, folders or globs.")


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


def report_dataset_warnings(build: Callable):
    """Run ``build`` (which reads a dataset), printing its "skipped unreadable files" warning as one
    plain line instead of Python's two-line warning format."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if not _state["debug"]:
            _quiet_pillow()
        result = build()
    for w in caught:
        err_console.print(f"[yellow]warning:[/yellow] {escape(str(w.message))}", highlight=False)
    return result


def plan(inputs: list[str], output: Path, overwrite: bool, fmt: str | None) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(input, output) pairs for a batch command, and the inputs refused up front."""
    from ganapps.pipelines.files import OutputPlanError, plan_outputs

    try:
        return plan_outputs(inputs, output, overwrite, fmt)
    except OutputPlanError as e:
        raise UsageError(str(e)) from None


def finish_batch(problems: list[str], result=None, what: str = "images") -> None:
    """Report a batch over user files (``problems`` refused up front, ``result`` a
    :class:`~ganapps.pipelines.files.BatchResult` or None if nothing ran): what the output format
    dropped, once per reason with its count; failures one per line; exit 1 if any failed."""
    from collections import Counter

    written = len(result.written) if result else 0
    failures = problems + (result.failures if result else [])
    for reason, count in Counter(result.notes if result else []).items():
        err_console.print(f"[yellow]warning:[/yellow] {count} output{'s' if count > 1 else ''}: {escape(reason)}", highlight=False)
    for line in failures:
        err_console.print(f"[red]failed:[/red] {escape(line)}", highlight=False)
    console.print(f"wrote {written} {what}" + (f", {len(failures)} failed" if failures else ""))
    if failures:
        raise typer.Exit(1)


def check_precision(precision: str, device: str, int8: bool = True) -> None:
    """The inference precisions, checked against the device (and the int8 engine) up front;
    ``int8=False`` for a command whose nets have no int8 path yet."""
    from ganapps.core.device import PRECISIONS, resolve_device

    if precision not in (*PRECISIONS, "int8"):
        raise UsageError(f"--precision {precision}: use auto, fp32, bf16, fp16 or int8")
    if precision == "int8" and not int8:
        raise UsageError("--precision int8 is not available for this command yet (translate and upscale have it)")
    kind = resolve_device(device).type
    if precision == "fp16" and kind != "cuda":
        raise UsageError("--precision fp16 needs a CUDA GPU (on CPU, auto uses bf16 where the CPU has AMX or AVX512-BF16)")
    if precision == "int8":
        from ganapps.pipelines.int8 import INSTALL_HINT, available

        if kind != "cpu":
            raise UsageError("--precision int8 runs on the CPU (ONNX Runtime); add --device cpu")
        if not available():
            raise UsageError(INSTALL_HINT)
