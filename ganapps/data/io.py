"""Image files in and out: every format quirk is handled here, so nets only see clean tensors.

``read_image`` decodes with OpenCV (8/16-bit, gray, alpha, palette, CMYK JPEG, WebP, TIFF) and uses
Pillow only to read the header lazily: the pixel count is checked *before* decoding (a tiny PNG
can declare 100k×100k pixels) and the EXIF orientation is applied, as a photo viewer would.
``write_image`` writes a temporary file and renames it, so an output is whole or absent.
"""
from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from ganapps.core.checkpoint import atomic_write_bytes

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
MAX_PIXELS = int(os.environ.get("GANAPPS_MAX_PIXELS", 100_000_000))  # 100 MP, e.g. 12000×8000


class ImageReadError(ValueError):
    """A file that cannot be used as an image; the message names the file and the reason."""


@dataclass
class Image:
    """Decoded image: ``rgb`` H×W×3 float32 in [0, 1]; ``alpha`` H×W in [0, 1] or None."""

    rgb: np.ndarray
    alpha: np.ndarray | None = None
    bit_depth: int = 8
    gray: bool = False

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return self.rgb.shape[0], self.rgb.shape[1]


def _exif_orientation(path: Path) -> tuple[int, int, int]:
    """(width, height, EXIF orientation) from the header alone; raises ImageReadError if unreadable."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    PILImage.MAX_IMAGE_PIXELS = None  # we apply our own limit below, with a clearer message
    try:
        with PILImage.open(path) as im:
            w, h = im.size
            orientation = im.getexif().get(0x0112, 1) if im.format in ("JPEG", "TIFF", "WEBP", "PNG") else 1
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not a recognised image file") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageReadError(f"{path}: unreadable image header ({e})") from None
    return w, h, int(orientation or 1)


def _apply_orientation(a: np.ndarray, orientation: int) -> np.ndarray:
    ops = {
        2: lambda x: x[:, ::-1],
        3: lambda x: x[::-1, ::-1],
        4: lambda x: x[::-1],
        5: lambda x: np.swapaxes(x, 0, 1),
        6: lambda x: np.rot90(x, -1),
        7: lambda x: np.rot90(x, 1)[::-1],
        8: lambda x: np.rot90(x, 1),
    }
    return np.ascontiguousarray(ops[orientation](a)) if orientation in ops else a


def read_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> Image:
    """Decode any supported image to float RGB (+ alpha). Errors are :class:`ImageReadError`."""
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"{path}: no such file")
    if path.is_dir():
        raise ImageReadError(f"{path}: is a folder, not an image")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: empty file (0 bytes)")
    w, h, orientation = _exif_orientation(path)
    if w * h > max_pixels:
        raise ImageReadError(
            f"{path}: {w}×{h} is {w * h / 1e6:.0f} MP, over the {max_pixels / 1e6:.0f} MP limit "
            "(set GANAPPS_MAX_PIXELS to allow more)"
        )
    data = np.fromfile(path, dtype=np.uint8)
    a = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    if a is None or a.size == 0:
        raise ImageReadError(f"{path}: corrupt or truncated image data")
    if a.dtype == np.uint8:
        depth, scale = 8, 255.0
    elif a.dtype == np.uint16:
        depth, scale = 16, 65535.0
    elif a.dtype in (np.float32, np.float64):
        depth, scale = 32, 1.0
    else:
        raise ImageReadError(f"{path}: unsupported pixel type {a.dtype}")
    a = _apply_orientation(a, orientation).astype(np.float32) / scale
    if a.ndim == 2:
        a = a[:, :, None]
    channels = a.shape[2]
    alpha = None
    if channels in (2, 4):
        alpha, a = a[:, :, -1].copy(), a[:, :, :-1]
    if a.shape[2] == 1:
        rgb, gray = np.repeat(a, 3, axis=2), True
    elif a.shape[2] == 3:
        rgb, gray = a[:, :, ::-1], False  # OpenCV decodes BGR
    else:
        raise ImageReadError(f"{path}: unsupported channel count {channels}")
    return Image(np.ascontiguousarray(np.clip(rgb, 0, 1)), alpha, depth, gray)


def png_pixels(rgb: np.ndarray, alpha: np.ndarray | None = None, bit_depth: int = 8, gray: bool = False) -> np.ndarray:
    """Float RGB in [0, 1] (+ alpha) → the H×W×C uint8/uint16 array a PNG stores (OpenCV channel
    order; one channel when ``gray``). OpenCV cannot write gray+alpha, so that becomes BGRA with
    equal colour channels. Works on any band of rows, so an image too big to hold in float can be
    quantized piece by piece into one integer array."""
    dtype, scale = (np.uint16, 65535.0) if bit_depth == 16 else (np.uint8, 255.0)
    rgb = np.clip(rgb, 0, 1)
    if gray:
        luma = rgb.mean(axis=2, keepdims=True)
        planes = [luma] if alpha is None else [np.repeat(luma, 3, axis=2)]
    else:
        planes = [rgb[:, :, ::-1]]
    if alpha is not None:
        planes.append(np.clip(alpha, 0, 1)[:, :, None])
    a = np.concatenate(planes, axis=2)
    return (a * scale + 0.5).astype(dtype)


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode an array from :func:`png_pixels` as PNG."""
    ok, buf = cv2.imencode(".png", pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)
    if not ok:
        raise OSError("PNG encoding failed")
    return buf.tobytes()


def encode_png(rgb: np.ndarray, alpha: np.ndarray | None = None, bit_depth: int = 8, gray: bool = False) -> bytes:
    """Float RGB in [0, 1] (+ alpha) → PNG bytes at 8 or 16 bits; ``gray`` writes one channel."""
    return png_bytes(png_pixels(rgb, alpha, bit_depth, gray))


def write_image(path: str | os.PathLike, image: Image, bit_depth: int | None = None) -> None:
    """Atomically write ``image`` as PNG (16-bit if the source was, unless told otherwise)."""
    depth = bit_depth or (16 if image.bit_depth > 8 else 8)
    atomic_write_bytes(path, encode_png(image.rgb, image.alpha, depth, image.gray))


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """H×W×3 float in [0, 1] → 1×3×H×W in [-1, 1] (the core's convention)."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).unsqueeze(0) * 2 - 1


def from_tensor(t: torch.Tensor) -> np.ndarray:
    """1×3×H×W (or 3×H×W) in [-1, 1] → H×W×3 float32 in [0, 1]."""
    t = t.detach().float().squeeze(0).clamp(-1, 1)
    return ((t + 1) / 2).permute(1, 2, 0).cpu().numpy()


def expand_inputs(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """Files, folders (their images, sorted) and globs → (image paths, problems).

    A folder with no images, a glob with no match, or a missing path is a problem, not a crash,
    so a batch can still process the good inputs and list the rest.
    """
    paths: list[Path] = []
    problems: list[str] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                problems.append(f"{p}: folder holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
            paths.extend(found)
        elif p.exists():
            paths.append(p)
        elif glob.has_magic(item):
            found = sorted(Path(f) for f in glob.glob(item) if Path(f).is_file())
            if not found:
                problems.append(f"{item}: no file matches")
            paths.extend(found)
        else:
            problems.append(f"{p}: no such file or folder")
    seen: set[Path] = set()
    unique = [p for p in paths if not (p.resolve() in seen or seen.add(p.resolve()))]
    return unique, problems
