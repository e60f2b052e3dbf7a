"""``ganapps upscale`` and ``eval upscale``: SRResNet and SRGAN, tiled."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ganapps.errors import UsageError

from .common import (
    DEVICE, FORMAT, INPUTS, OUTPUT, OVERWRITE, PRECISION, QUALITY, app, check_precision, console, eval_app, finish_batch,
    friendly_errors, plan,
)


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


@app.command()
@friendly_errors
def upscale(
    factor: str = typer.Argument(..., help="x2 or x4."),
    inputs: list[str] = INPUTS,
    output: Path = OUTPUT,
    model: str = typer.Option("srgan", "--model", help="srgan | srresnet | a .safetensors PATH"),
    tile: int = typer.Option(128, "--tile", help="Tile size in input pixels (bounds memory); 0 = whole image at once."),
    tile_overlap: int = typer.Option(16, "--tile-overlap", help="Input pixels shared by neighbouring tiles (≤ tile/2)."),
    precision: str = PRECISION,
    device: str = DEVICE,
    fmt: Optional[str] = FORMAT,
    quality: Optional[int] = QUALITY,
    overwrite: bool = OVERWRITE,
) -> None:
    """Super-resolve images ×2 or ×4 (RGB, RGBA, gray, 16-bit; any size, tiled)."""
    import time

    from ganapps.pipelines.files import run_batch
    from ganapps.pipelines.tiling import check_tiling
    from ganapps.pipelines.upscale import UpscalePipeline

    scale = _sr_scale(factor)
    try:
        check_tiling(tile, tile_overlap)
    except ValueError as e:
        raise UsageError(f"--tile/--tile-overlap: {e}") from None
    check_precision(precision, device)
    pairs, problems = plan(inputs, output, overwrite, fmt)
    result = None
    if pairs:
        pipe = UpscalePipeline(_sr_weights(model, scale), device, precision, tile, tile_overlap)
        if pipe.scale != scale:
            raise UsageError(f"{model} upscales ×{pipe.scale}; use 'ganapps upscale x{pipe.scale}' or another --model")
        start = time.perf_counter()
        result = run_batch(pairs, pipe.file_stages(quality), f"upscaling ×{scale}")
        if result.written:
            console.print(f"{time.perf_counter() - start:.1f} s on {pipe.device}")
    finish_batch(problems, result)


@eval_app.command("upscale")
@friendly_errors
def eval_upscale(
    data: list[Path] = typer.Option(..., "--data", help="Benchmark folder of HR images (Set5, Set14, BSD100...); repeat --data."),
    scale: int = typer.Option(4, "--scale", help="2 or 4."),
    model: Optional[list[str]] = typer.Option(
        None, "--model", help="srresnet | srgan | PATH, repeatable (default: the shipped srresnet and srgan)."
    ),
    degradation: str = typer.Option(
        "clean,realistic", "--degradation", help="How the LR inputs are made: clean (MATLAB bicubic, the papers') | "
        "realistic (blur, resize, noise, JPEG twice, seeded per file); comma-separated for both."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the realistic degradations."),
    device: str = DEVICE,
) -> None:
    """PSNR/SSIM on Y (BT.601, `scale` px border shaved), sharpness and grid score: clean and realistic inputs."""
    from ganapps.eval.sr import DEGRADATIONS, bicubic, evaluate_folder
    from ganapps.pipelines.upscale import UpscalePipeline
    from ganapps.weights import REGISTRY

    if scale not in (2, 4):
        raise UsageError(f"--scale must be 2 or 4, not {scale}")
    kinds = [k.strip() for k in degradation.split(",") if k.strip()]
    if not kinds or any(k not in DEGRADATIONS for k in kinds):
        raise UsageError(f"--degradation {degradation}: use clean, realistic or clean,realistic")
    names = model or [m for m in SR_MODELS[::-1] if f"{m}-x{scale}" in REGISTRY]
    methods = {"bicubic": bicubic(scale)}
    for name in names:
        pipe = UpscalePipeline(_sr_weights(name, scale), device, precision="fp32")
        if pipe.scale != scale:
            raise UsageError(f"--model {name} upscales ×{pipe.scale}, not ×{scale}")
        methods[Path(name).stem] = pipe.upscale_tensor
    table = Table(title=f"×{scale} super-resolution, fp32: PSNR (dB) / SSIM on Y with {scale} px shaved; sharpness "
                        "(fine structure vs the original, 1 = as much); grid score (median; bicubic is the floor)")  # fmt: skip
    for col in ("set", "inputs", "method", "PSNR", "SSIM", "sharpness", "grid"):
        table.add_column(col, justify="left" if col in ("set", "inputs", "method") else "right")
    for folder in data:
        for kind in kinds:
            scores = evaluate_folder(folder, scale, methods, kind, seed)
            for i, (label, sc) in enumerate(scores.items()):
                where = (f"{folder.name} ({sc.images})", kind) if i == 0 else ("", "")
                table.add_row(*where, label, f"{sc.psnr:.2f}", f"{sc.ssim:.4f}", f"{sc.sharpness:.2f}", f"{sc.grid:.1f}",
                              end_section=i == len(scores) - 1)  # fmt: skip
    console.print(table)
