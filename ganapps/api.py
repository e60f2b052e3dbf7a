"""Python API: ``ganapps.load("dcgan-fashion")`` → a ready pipeline; the CLI is a thin layer on it."""
from __future__ import annotations

from pathlib import Path

from ganapps.core.checkpoint import read_metadata
from ganapps.weights import resolve

PIPELINES = {
    "generate": "ganapps.pipelines.generate:GeneratePipeline",
    "translate": "ganapps.pipelines.translate:TranslatePipeline",
    "upscale": "ganapps.pipelines.upscale:UpscalePipeline",
    "inpaint": "ganapps.pipelines.inpaint:InpaintPipeline",
}


def load(name_or_path: str | Path, device: str = "cpu"):
    """Load a shipped model by name (``ganapps models`` lists them) or any exported ``.safetensors``."""
    path = resolve(str(name_or_path))
    task = read_metadata(path).get("task")
    if task not in PIPELINES:
        raise ValueError(f"{path}: no inference pipeline for task {task!r}")
    module_name, cls_name = PIPELINES[task].split(":")
    import importlib

    return getattr(importlib.import_module(module_name), cls_name)(path, device=device)
