"""Speed of ganapps on this machine, side by side with the reference implementation's figures.

    python benchmarks/run.py                    # ~5 min on 2 CPU cores; --json results.json to keep them
    python benchmarks/run.py --quick            # toy sizes: checks that every path runs (seconds)

Prints, for each pipeline, end-to-end images/s over a folder of images (model load included),
model-only ms/image, achieved GFLOP/s and its share of the measured fp32 matmul peak
(``inference_speed.py``); seconds per training iteration of each task (``training_speed.py``);
then the issue's three reference figures next to ours. Every figure is a median of repeats, at
fp32 and at the precision ``auto`` picks here (bf16 on CPUs with AMX or AVX512-BF16, and GPUs; plus fp16 on GPUs),
and int8 (ONNX Runtime) for translate and upscale on CPUs where the onnx extra is installed.
Run it on an otherwise idle machine: other processes on the cores move every figure.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

import inference_speed
import training_speed
from ganapps.core.device import autocast_dtype, cpu_features, cpu_has_native_bf16, resolve_device
from ganapps.pipelines.int8 import available as int8_available
from timing import matmul_peak

# Issue 6's figures for junyanz/pytorch-CycleGAN-and-pix2pix (2025 revision, torch 2.13 CPU,
# 2 threads), measured on this machine kind: test.py end to end, and train.py iterations.
REFERENCE = {
    "translate_256": {"what": "translate 256 px, ResNet-9 ngf 64, end to end", "value": 2.3, "unit": "img/s"},
    "cyclegan_256": {"what": "CycleGAN train iteration, 256 crop, ngf 64, batch 1", "value": 9.1, "unit": "s/iter"},
    "cyclegan_128": {"what": "CycleGAN train iteration, 128 crop, ngf 32, ndf 32", "value": 0.81, "unit": "s/iter"},
}
PRECISION_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def precisions(device: torch.device) -> list[str]:
    """fp32, the precision ``auto`` resolves to here when it is not fp32, and fp16 on GPUs."""
    auto = {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(autocast_dtype(device, "auto"))
    names = ["fp32"] + ([auto] if auto else [])
    return names + (["fp16"] if device.type == "cuda" and "fp16" not in names else [])


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.processor())


def machine(device: torch.device, quick: bool, matmul_side: int) -> dict[str, Any]:
    return {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name(),
        "threads": torch.get_num_threads(), "native_bf16": cpu_has_native_bf16(), "cpu_features": list(cpu_features()), "torch": torch.__version__,
        "quick": quick,
        "matmul_side": matmul_side,
    }  # fmt: skip


def compare(inference: list[dict], training: list[dict], auto: str) -> list[dict]:
    """Our figure for each reference configuration, at fp32 (like for like) and at ``auto``'s
    precision; ratio > 1 means ganapps is faster."""
    rows = []
    for key, ref in REFERENCE.items():
        for precision in dict.fromkeys(["fp32", auto]):
            row = next(r for r in inference + training if r["reference"] == key and r["precision"] == precision)
            if ref["unit"] == "img/s":
                ours, ratio = row["e2e_img_s"], row["e2e_img_s"] / ref["value"]
            else:
                ours, ratio = row["s_per_iter"], ref["value"] / row["s_per_iter"]
            rows.append({"key": key, **ref, "precision": precision, "ours": ours, "ratio": ratio})
    return rows


def show(console: Console, result: dict[str, Any]) -> None:
    m, peak = result["machine"], result["peak_gflops"]
    peaks = ", ".join(f"{k} {v:,.0f}" for k, v in peak.items())
    quick = "  [yellow](--quick: toy sizes)[/yellow]" if m["quick"] else ""
    features = ", ".join(m.get("cpu_features") or ["none of AMX/VNNI/AVX2"])
    console.print(f"[bold]{m['device']}[/bold], {m['threads']} threads, torch {m['torch']}, CPU features: {features}; "
                  f"matmul {m['matmul_side']}² peak GFLOP/s: {peaks}{quick}")  # fmt: skip
    t = Table(title="inference (medians; end to end = load model once, decode → infer → encode N images)")
    for col in ("pipeline", "net", "precision", "N", "end to end img/s", "model ms/img", "GFLOP/img", "GFLOP/s", "÷ fp32 peak"):
        t.add_column(col, justify="left" if col in ("pipeline", "net") else "right")
    for r in result["inference"]:
        t.add_row(r["pipeline"], r["net"], r["precision"], str(r["images"]), f"{r['e2e_img_s']:.2f}", f"{r['model_ms']:.1f}",
                  f"{r['gflop']:.2f}", f"{r['gflops']:.0f}", f"{100 * r['of_fp32_peak']:.0f}%")  # fmt: skip
    console.print(t)
    t = Table(title="training (median seconds per iteration: the Trainer's D + G step)")
    for col in ("task", "config", "precision", "s/iter", "img/s"):
        t.add_column(col, justify="left" if col in ("task", "config") else "right")
    for r in result["training"]:
        t.add_row(r["task"], r["config"], r["precision"], f"{r['s_per_iter']:.3f}", f"{r['img_s']:.1f}")
    console.print(t)
    t = Table(title="vs the reference, junyanz/pytorch-CycleGAN-and-pix2pix (its figures as issue 6 quotes them)")
    for col in ("configuration", "reference", "ganapps", "precision", "ganapps speed-up"):
        t.add_column(col, justify="left" if col == "configuration" else "right")
    for r in result["reference"]:
        ratio = "n/a (--quick)" if m["quick"] else f"{r['ratio']:.2f}×"
        t.add_row(r["what"], f"{r['value']} {r['unit']}", f"{r['ours']:.3g} {r['unit']}", r["precision"], ratio)
    console.print(t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes and 2 repeats: a smoke test of every path")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    console = Console(width=max(Console().width, 150))  # the tables stay readable in a log file
    start = time.perf_counter()
    names, side = precisions(device), 512 if args.quick else 2048
    peak = {"fp32": matmul_peak(device, torch.float32, side)}
    peak |= {p: matmul_peak(device, PRECISION_DTYPES[p], side) for p in names if p != "fp32"}
    repeats = 2 if args.quick else 3
    inference = []
    for case in inference_speed.cases(args.quick):
        int8 = ["int8"] if device.type == "cpu" and int8_available() and case.meta["task"] in ("translate", "upscale") else []
        for precision in [*names, *int8] if case.meta["task"] != "generate" else ["fp32"]:  # generate has no precision option
            console.print(f"inference: {case.name}, {precision}", style="dim")
            inference.append(inference_speed.measure(case, precision, device, repeats, peak["fp32"]))
    training = []
    for config in training_speed.configs(args.quick):
        for precision in names:
            console.print(f"training: {config.task} {config.config}, {precision}", style="dim")
            training.append(training_speed.measure(config, precision, device))
    result = {
        "machine": machine(device, args.quick, side), "peak_gflops": peak, "inference": inference, "training": training,
        "reference": compare(inference, training, names[1] if len(names) > 1 else "fp32"),
        "seconds": time.perf_counter() - start,
    }  # fmt: skip
    show(console, result)
    console.print(f"{result['seconds']:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
        console.print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
