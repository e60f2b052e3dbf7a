"""What each tab of the demo does, as plain functions over files and numpy arrays: no Gradio here,
so the checks, the model cache and the calls into the pipelines are tested without the extra.

Every handler returns its images and a one-line status; what a user can get wrong (not an image,
a decompression bomb, a mask of the wrong size, an empty drawing) raises :class:`DemoInputError`
or a pipeline's own ``ValueError``, which :func:`guarded` turns into that one line.
"""
from __future__ import annotations

import functools
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import numpy as np
import torch

from ganapps.core.device import autocast_dtype, cpu_has_native_bf16, resolve_device
from ganapps.data.io import Image, ImageReadError, pixel_limit, read_image
from ganapps.pipelines.inpaint import check_mask
from ganapps.pipelines.tiling import tile_spans
from ganapps.pipelines.translate import TASKS
from ganapps.weights import REGISTRY

PHOTO_TASKS = [t for t in ("horse2zebra", "zebra2horse", "facades") if TASKS[t].weights in REGISTRY]
SKETCH_MODEL = "sketch2photo"
INPAINT_MODEL = "inpaint-faces"
SR_MODELS = ("srgan", "srresnet")
UPSCALE_MAX_PIXELS = 2_000_000  # ×4 of 2 MP is 32 MP out: seconds to minutes on a CPU, < 1 GB
MAX_COUNT = 256
PAPER = 245  # a canvas pixel at least this bright in every channel is blank paper

Progress = Callable[[float, str], None]


class DemoInputError(ValueError):
    """Something the user gave (or did not give) that the page cannot work on; the message says what."""


def upscale_choices() -> dict[int, list[str]]:
    """Factor → the SR models shipped for it (srgan first: the default, as in the CLI)."""
    found: dict[int, list[str]] = {}
    for scale in (2, 4):
        names = [m for m in SR_MODELS if f"{m}-x{scale}" in REGISTRY]
        if names:
            found[scale] = names
    return found


def generate_models() -> list[str]:
    return [name for name, m in REGISTRY.items() if m.task == "generate"]


class Models:
    """Pipelines loaded on first use, through :func:`ganapps.load`, and kept for every later
    request: loading costs seconds, a request should not. The lock makes two first requests for
    the same model load it once."""

    def __init__(self, device: str = "auto"):
        self.device = resolve_device(device)
        self._pipes: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, name: str):
        from ganapps.api import load

        with self._lock:
            if name not in self._pipes:
                self._pipes[name] = load(name, device=str(self.device))
            return self._pipes[name]

    def runtime(self) -> str:
        """The device and precision every tab runs at, for the page's header."""
        dtype = autocast_dtype(self.device)
        precision = {torch.bfloat16: "bf16", torch.float16: "fp16", None: "fp32"}[dtype]
        if self.device.type == "cuda":
            where = f"GPU ({torch.cuda.get_device_name(self.device)})"
        else:
            n = torch.get_num_threads()
            where = f"CPU, {n} thread{'s' * (n != 1)}"
        why = " (bf16 needs a CPU with AMX or AVX512-BF16, or a GPU)" if dtype is None and not cpu_has_native_bf16() else ""
        return f"{where}, {precision}{why}"


def guarded(fn: Callable[..., tuple], n_images: int) -> Callable[..., tuple]:
    """``fn``, with every failure returned as ``n_images`` empty images and a one-line status: the
    page shows the line and the server keeps serving. Unexpected errors are also printed to the
    server's console with their traceback, where a developer can see them."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, OSError) as e:  # DemoInputError, ImageReadError, the pipelines' checks, weights
            msg = str(e)
        except Exception as e:  # noqa: BLE001 - the one place a request's errors become a message
            traceback.print_exc(file=sys.stderr)
            msg = f"{type(e).__name__}: {e}"
        return (None,) * n_images + ("error: " + (msg.splitlines()[0] if msg.strip() else "unknown error"),)

    return wrapper


def decode(path: Optional[str], what: str = "a photo") -> Image:
    """An uploaded file, decoded by :func:`ganapps.data.io.read_image` (format quirks, EXIF
    rotation, the pixel limit checked before decoding); errors name the file, not the server's
    temporary folder."""
    if not path:
        raise DemoInputError(f"upload {what} first")
    try:
        return read_image(path)
    except ImageReadError as e:
        raise DemoInputError(str(e).replace(str(path), Path(path).name)) from None


def to_display(image: Image) -> np.ndarray:
    """Float image → the H×W×3 (or ×4 with alpha) uint8 array the page shows."""
    planes = image.rgb if image.alpha is None else np.dstack([image.rgb, image.alpha])
    return (np.clip(planes, 0, 1) * 255 + 0.5).astype(np.uint8)


def from_canvas(pixels: np.ndarray) -> Image:
    """A canvas or upload as Gradio hands it over (H×W gray, RGB or RGBA uint8) → an Image."""
    a = np.asarray(pixels)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] * a.shape[1] == 0:
        raise DemoInputError(f"not an image: an array of shape {a.shape}")
    if a.shape[0] * a.shape[1] > pixel_limit():
        raise DemoInputError(f"{a.shape[1]}×{a.shape[0]} px is over the {pixel_limit():,} pixel limit")
    f = a.astype(np.float32) / 255
    alpha = f[:, :, 3] if a.shape[2] == 4 and (a[:, :, 3] < 255).any() else None
    return Image(np.ascontiguousarray(f[:, :, :3]), alpha)


def _seconds(start: float) -> str:
    return f"{time.perf_counter() - start:.1f} s"


def translate(models: Models, path: Optional[str], task: str) -> tuple[Optional[np.ndarray], str]:
    """Translate tab: horse → zebra, zebra → horse, facade label map → photo."""
    if task not in PHOTO_TASKS:
        raise DemoInputError(f"unknown translation {task!r}; choose one of {', '.join(PHOTO_TASKS)}")
    image = decode(path)
    start = time.perf_counter()
    out = models.get(TASKS[task].weights)(image)
    h, w = image.size
    return to_display(out), f"{TASKS[task].what}: {w}×{h} px in {_seconds(start)} on {models.device.type}"


def sketch(models: Models, canvas: Optional[dict]) -> tuple[Optional[np.ndarray], str]:
    """Drawing → face tab: ``canvas`` is the Sketchpad's value (its ``composite`` is the drawing,
    flattened on white paper)."""
    composite = None if canvas is None else canvas.get("composite")
    if composite is None:
        raise DemoInputError("draw a face first (black lines on the white canvas), or upload a drawing")
    drawing = from_canvas(composite)
    paper = drawing.rgb if drawing.alpha is None else drawing.rgb * drawing.alpha[:, :, None] + 1 - drawing.alpha[:, :, None]
    if (paper >= PAPER / 255).all():
        raise DemoInputError("the drawing is empty: draw a face first (black lines on the white canvas)")
    start = time.perf_counter()
    out = models.get(SKETCH_MODEL)(drawing)
    return to_display(out), f"face drawn in {_seconds(start)} on {models.device.type}"


def painted_hole(layers: list[np.ndarray], image: Image) -> np.ndarray:
    """The mask the user painted: every non-transparent pixel of every layer (layers without alpha:
    every non-black pixel), checked to have the photo's size."""
    hole = np.zeros(image.size, bool)
    for layer in layers:
        a = np.asarray(layer)
        painted = a[:, :, 3] > 0 if a.ndim == 3 and a.shape[2] == 4 else a.reshape(*a.shape[:2], -1).max(axis=2) > 0
        if painted.shape != image.size:
            (lh, lw), (h, w) = painted.shape, image.size
            raise DemoInputError(f"the painted mask is {lw}×{lh} px but the photo is {w}×{h} px; paint on the photo itself")
        hole |= painted
    return hole


def inpaint(models: Models, editor: Optional[dict]) -> tuple[Optional[np.ndarray], Optional[np.ndarray], str]:
    """Inpaint tab: ``editor`` is the image editor's value; its background is the photo and its
    painted layers are the hole. Returns the filled photo and the mask used."""
    background = None if editor is None else editor.get("background")
    if background is None:
        raise DemoInputError("upload a photo first, then paint the hole on it")
    image = from_canvas(background)
    hole = painted_hole(list(editor.get("layers") or []), image)
    if not hole.any():
        raise DemoInputError("nothing painted: paint over the part of the photo to fill")
    check_mask(hole, image, "the painted mask")
    start = time.perf_counter()
    out = models.get(INPAINT_MODEL)(image, hole)
    share = 100 * hole.mean()
    return to_display(out), hole.astype(np.uint8) * 255, f"filled {share:.0f}% of the photo in {_seconds(start)} on {models.device.type}"


def upscale(
    models: Models, path: Optional[str], scale: int, model: str, progress: Optional[Progress] = None
) -> tuple[Optional[np.ndarray], str]:
    """Upscale tab: ×2/×4 with SRGAN or SRResNet, in tiles (memory bounded by the tile, not the photo)."""
    choices = upscale_choices()
    if model not in choices.get(scale, []):
        offered = ", ".join(f"x{s} {m}" for s, names in choices.items() for m in names)
        raise DemoInputError(f"no shipped {model} ×{scale} weights; this install has: {offered}")
    image = decode(path)
    h, w = image.size
    if h * w > UPSCALE_MAX_PIXELS:
        raise DemoInputError(
            f"{w}×{h} px is over the demo's {UPSCALE_MAX_PIXELS / 1e6:.0f} MP for upscaling; use 'ganapps upscale' for larger photos"
        )
    pipe = models.get(f"{model}-x{scale}")
    tiles = len(tile_spans(h, pipe.tile, pipe.tile_overlap)) * len(tile_spans(w, pipe.tile, pipe.tile_overlap))
    if progress is not None:
        progress(0.0, f"×{scale} with {model}: {tiles} tile{'s' * (tiles > 1)} of {pipe.tile} px")
    start = time.perf_counter()
    out = pipe(image)
    return to_display(out), (
        f"×{scale} with {model}: {w}×{h} → {w * scale}×{h * scale} px, {tiles} tile{'s' * (tiles > 1)}, "
        f"{_seconds(start)} on {models.device.type}"
    )


def generate(models: Models, model: str, seed: float, count: float) -> tuple[Optional[np.ndarray], str]:
    """Generate tab: ``count`` samples of ``model`` from ``seed``, as one grid (the CLI's ``-o``)."""
    if model not in generate_models():
        raise DemoInputError(f"unknown generator {model!r}; choose one of {', '.join(generate_models())}")
    if seed is None or count is None or seed != int(seed) or count != int(count):
        raise DemoInputError("seed and count must be whole numbers")
    seed, count = int(seed), int(count)
    if not 0 <= seed < 2**63 or not 1 <= count <= MAX_COUNT:
        raise DemoInputError(f"seed must be ≥ 0 and count between 1 and {MAX_COUNT}")
    start = time.perf_counter()
    grid = models.get(model).grid(count, seed=seed)
    return grid[:, :, 0] if grid.shape[2] == 1 else grid, f"{count} samples, seed {seed}, in {_seconds(start)}"


def lesson(epochs: float, seed: float, every: int = 5) -> Iterator[tuple[np.ndarray, np.ndarray, str]]:
    """Train the lecture's toy GAN (:mod:`ganapps.lesson`), yielding every ``every`` epochs the
    D-accuracy curve so far, G's faces next to real ones and noise, and a status line."""
    from ganapps.lesson import final_accuracy, picture, training

    epochs, seed = int(min(max(epochs or 1, 1), 1000)), int(seed or 0)
    history = []
    for g, report in training(epochs=epochs, seed=seed):
        history.append(report)
        if report.epoch % every == 0 or report.epoch == epochs:
            status = f"epoch {report.epoch}/{epochs}: D accuracy {100 * report.accuracy:.0f}%"
            if report.epoch == epochs:
                status += f"; over the last {min(10, epochs)} epochs {100 * final_accuracy(history):.0f}% (50% = it cannot tell)"
            yield accuracy_curve(history, epochs), picture(g, seed), status


def accuracy_curve(history: list, epochs: int) -> np.ndarray:
    """D's accuracy per epoch (real, fake, both) with the 50% line, as an RGB array."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    x = [r.epoch for r in history]
    ax.plot(x, [100 * r.acc_real for r in history], lw=1, alpha=0.6, label="on real faces")
    ax.plot(x, [100 * r.acc_fake for r in history], lw=1, alpha=0.6, label="on G's faces")
    ax.plot(x, [100 * r.accuracy for r in history], lw=2, color="k", label="D accuracy")
    ax.axhline(50, color="r", ls="--", lw=1, label="50%: D cannot tell")
    ax.set(xlim=(1, max(2, epochs)), ylim=(0, 100), xlabel="epoch", ylabel="%")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return rgb
