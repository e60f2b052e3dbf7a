"""The other commands: ``models``, ``info``, ``export``, ``convert`` (zoo checkpoints) and ``demo``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ganapps.errors import UsageError

from .common import DEVICE, app, console, friendly_errors


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
    from ganapps.core.device import CPU_FEATURES, autocast_dtype, cpu_features, cpu_has_native_bf16
    from ganapps.pipelines.int8 import available as int8_available, prefers_int8

    table = Table(show_header=False)
    rows = {
        "ganapps": ganapps.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not available",
        "cpu threads": str(torch.get_num_threads()),
        "cpu native bf16 (AMX or AVX512-BF16)": "yes" if cpu_has_native_bf16() else "no",
        "cpu features": ", ".join(cpu_features()) or "none of " + ", ".join(CPU_FEATURES),
        "--precision auto runs": "int8 where a model passes its 40 dB check, else fp32" if not torch.cuda.is_available()
        and prefers_int8() else str(autocast_dtype(torch.device("cuda" if torch.cuda.is_available() else "cpu")) or "fp32")
        .replace("torch.", ""),
        "--precision int8": "available (ONNX Runtime)" if int8_available() else 'needs pip install "ganapps[onnx]"',
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


@app.command()
@friendly_errors
def demo(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on (0.0.0.0: every network you are on)."),
    port: int = typer.Option(7860, "--port", min=1, max=65535),
    share: bool = typer.Option(False, "--share", help="Also open a temporary public link through Gradio's servers."),
    device: str = DEVICE,
) -> None:
    """A web page to draw a face, paint a hole, upscale a photo... (needs the demo extra: Gradio)."""
    from ganapps.demo import INSTALL_HINT, gradio_available

    if not gradio_available():
        raise UsageError(INSTALL_HINT)
    from ganapps.demo.page import serve

    serve(device, host, port, share)
