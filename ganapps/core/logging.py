"""What a training run leaves behind for a human: metrics.jsonl, sample grids, a GIF, curves.png."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np
import torch

from .checkpoint import atomic_write_bytes


class MetricsLog:
    """Append-only JSON-lines log; one object per logged step (or per epoch summary)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def write(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open() as f:
            return [json.loads(line) for line in f if line.strip()]

    def truncate_after(self, step: int) -> None:
        """Drop records logged after ``step`` (a resumed run re-logs them)."""
        kept = [r for r in self.read() if r.get("step", 0) <= step]
        atomic_write_bytes(self.path, "".join(json.dumps(r) + "\n" for r in kept).encode())


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """``N×C×H×W`` floats in [-1, 1] → ``N×H×W×C`` uint8 (RGB or gray)."""
    x = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).cpu().numpy()


def image_grid(images: torch.Tensor, nrow: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile a batch of images (floats in [-1, 1]) into one ``H×W×C`` uint8 array, RGB."""
    arr = to_uint8(images)
    n, h, w, c = arr.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    ncol = math.ceil(n / nrow)
    grid = np.full((ncol * (h + pad) + pad, nrow * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, q = divmod(i, nrow)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y : y + h, x : x + w] = arr[i]
    return grid


def write_png(path: str | os.PathLike, rgb: np.ndarray) -> None:
    """Atomically write an RGB(A) or gray uint8/uint16 array as PNG."""
    if rgb.ndim == 3 and rgb.shape[2] == 1:
        rgb = rgb[:, :, 0]
    if rgb.ndim == 3:
        rgb = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR if rgb.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(".png", rgb)
    if not ok:
        raise OSError(f"{path}: PNG encoding failed")
    atomic_write_bytes(path, buf.tobytes())


def write_gif(path: str | os.PathLike, frames: Sequence[Path | np.ndarray], ms_per_frame: int = 400) -> None:
    """Animate sample grids (files, e.g. one per epoch, or H×W×3 uint8 arrays) into a looping GIF."""
    from PIL import Image

    if not frames:
        return
    images = [Image.fromarray(f.squeeze(2) if f.ndim == 3 and f.shape[2] == 1 else f).convert("RGB")
              if isinstance(f, np.ndarray) else Image.open(f).convert("RGB") for f in frames]
    tmp = Path(path).with_suffix(".gif.tmp")
    images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=ms_per_frame, loop=0)
    os.replace(tmp, path)


def plot_curves(records: list[dict[str, Any]], path: str | os.PathLike, val: list[dict[str, Any]] = ()) -> None:
    """Loss curves and discriminator accuracy (with the 50% line) from metrics records; with
    validation records (``val.jsonl``) a second row, one panel per figure, one line per prefix
    (``AtoB_background_psnr`` and ``BtoA_background_psnr`` share the panel "background_psnr")."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r for r in records if "step" in r and "g_loss" in r]  # g_loss: generator-only tasks too
    if not steps:
        return
    x = [r["step"] for r in steps]
    kinds = sorted({k.split("_", 1)[1] for r in val for k in r if "_" in k and k not in ("step", "epoch")})
    columns = max(2, len(kinds))
    fig, axes = plt.subplots(2 if kinds else 1, columns, figsize=(5.5 * columns, 8 if kinds else 4), squeeze=False)
    ax_loss, ax_acc = axes[0][0], axes[0][1]
    for ax in axes[0][2:]:
        ax.axis("off")
    for ax, kind in zip(axes[-1] if kinds else [], kinds):
        for key in sorted({k for r in val for k in r if k.endswith("_" + kind) and k.split("_", 1)[1] == kind}):
            pts = [(r["step"], r[key]) for r in val if key in r]
            ax.plot(*zip(*pts), marker="o", ms=3, lw=1, label=key.split("_", 1)[0])
        ax.set_xlabel("step")
        ax.set_title(f"validation: {kind}")
        ax.legend()
    loss_keys = sorted({k for r in steps for k in r if k.endswith("_loss")})
    for k in loss_keys:
        ax_loss.plot(x, [r.get(k, float("nan")) for r in steps], label=k, lw=1)
    ax_loss.set_xlabel("step")
    ax_loss.set_title("losses")
    ax_loss.legend()
    for k, label in (("d_acc_real", "D accuracy on real"), ("d_acc_fake", "D accuracy on fake")):
        if any(k in r for r in steps):
            ax_acc.plot(x, [100 * r.get(k, float("nan")) for r in steps], label=label, lw=1)
    ax_acc.axhline(50, color="k", ls="--", lw=1, label="50% (chance)")
    ax_acc.set_ylim(0, 100)
    ax_acc.set_xlabel("step")
    ax_acc.set_ylabel("%")
    ax_acc.set_title("discriminator accuracy")
    ax_acc.legend()
    fig.tight_layout()
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)


def progress_bar(enabled: bool):
    """The training progress bar: steps done, time left, and :func:`bar_text`'s figures."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"), disable=not enabled,
    )


def bar_text(epoch: int, total_epochs: int, step: int, m: dict[str, float]) -> str:
    """One log point's figures: epoch, step, losses, D accuracy, speed."""
    acc = ""
    if "d_acc_real" in m:
        acc = f" D acc real/fake {100 * m['d_acc_real']:.0f}%/{100 * m['d_acc_fake']:.0f}%"
    d = f"D {m['d_loss']:.3f} " if "d_loss" in m else ""
    return f"epoch {epoch + 1}/{total_epochs} step {step} {d}G {m.get('g_loss', float('nan')):.3f}{acc} {m['img_s']:.0f} img/s"
