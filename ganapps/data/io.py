"""Image files in and out: every format quirk is handled here, so nets only see clean tensors.

``read_image`` decodes with OpenCV (8/16-bit, gray, alpha, palette, CMYK JPEG, WebP, TIFF) and uses
Pillow only to read the header lazily: the pixel count is checked *before* decoding (a tiny PNG
can declare 100k×100k pixels; the limit is ``$GANAPPS_MAX_PIXELS``, default 100 MP) and the EXIF
orientation is applied, as a photo viewer would. A PNG's chunks are checked first (length, CRC,
IEND), so a truncated or corrupt PNG is reported as such instead of by libpng on stderr. Every
failure is an :class:`ImageReadError` naming the file and the reason.
``write_image`` writes a temporary file and renames it, so an output is whole or absent.
"""
from __future__ import annotations

import glob
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from ganapps.core.checkpoint import atomic_write_bytes
from ganapps.data.native_stderr import silenced

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
DEFAULT_MAX_PIXELS = 100_000_000  # 100 MP, e.g. 12000×8000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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


def pixel_limit() -> int:
    """The largest image decoded, in pixels: ``$GANAPPS_MAX_PIXELS`` if set, else 100 MP. Read at
    each call, so a run (or a test) can raise it without re-importing anything."""
    raw = os.environ.get("GANAPPS_MAX_PIXELS")
    if raw is None:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"GANAPPS_MAX_PIXELS={raw!r}: give a positive whole number of pixels, e.g. 200000000")
    return value


def _megapixels(n: int) -> str:
    if n < 1_000_000:
        return f"{n:,} px"
    return f"{n / 1e6:,.0f} MP" if n >= 10_000_000 else f"{n / 1e6:.3g} MP"


def _header(path: Path, max_pixels: int) -> int:
    """The EXIF orientation, from the header alone, once the declared size is known to be within
    ``max_pixels``: nothing is decompressed before that check."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    PILImage.MAX_IMAGE_PIXELS = None  # we apply our own limit below, with a clearer message
    try:
        with PILImage.open(path) as im:
            w, h = im.size
            if w * h > max_pixels:
                raise ImageReadError(
                    f"{path}: {w}×{h} is {_megapixels(w * h)}, over the {_megapixels(max_pixels)} limit "
                    "(set GANAPPS_MAX_PIXELS to allow more)"
                )
            if im.format == "PNG":  # getexif() would decode the whole PNG to look for a late eXIf chunk
                exif = PILImage.Exif()
                exif.load(im.info.get("exif"))
            elif im.format in ("JPEG", "TIFF", "WEBP"):
                exif = im.getexif()
            else:
                return 1
            orientation = exif.get(0x0112, 1)
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not a recognised image file") from None
    except ImageReadError:
        raise
    except Exception as e:  # noqa: BLE001 - Pillow's parsers raise many types on malformed headers
        raise ImageReadError(f"{path}: truncated or corrupt image header ({_first_line(e)})") from None
    return int(orientation) if isinstance(orientation, int) else 1


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0] if str(e).strip() else type(e).__name__


def _check_png(data: bytes, path: Path) -> None:
    """Walk the chunks of a PNG: a file cut short or a chunk with a wrong CRC is named as such
    (libpng would fail with a generic error and print its own lines on stderr)."""
    view, pos = memoryview(data), len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise ImageReadError(f"{path}: truncated PNG (the file ends before its IEND chunk)")
        length, kind = struct.unpack(">I4s", view[pos : pos + 8])
        if not kind.isalpha():
            raise ImageReadError(f"{path}: corrupt PNG (no valid chunk at byte {pos})")
        name, end = kind.decode("ascii"), pos + 12 + length
        if end > len(data):
            raise ImageReadError(f"{path}: truncated PNG (the file ends inside its {name} chunk)")
        if zlib.crc32(view[pos + 4 : end - 4]) != struct.unpack(">I", view[end - 4 : end])[0]:
            raise ImageReadError(f"{path}: corrupt PNG (chunk {name} at byte {pos} fails its CRC check)")
        if kind == b"IEND":
            return
        pos = end


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


def read_image(path: str | os.PathLike, max_pixels: int | None = None) -> Image:
    """Decode any supported image to float RGB (+ alpha). Errors are :class:`ImageReadError`;
    ``max_pixels`` defaults to :func:`pixel_limit`."""
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"{path}: no such file")
    if path.is_dir():
        raise ImageReadError(f"{path}: is a folder, not an image")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ImageReadError(f"{path}: cannot read ({e.strerror or _first_line(e)})") from None
    if not data:
        raise ImageReadError(f"{path}: empty file (0 bytes)")
    orientation = _header(path, pixel_limit() if max_pixels is None else max_pixels)
    if data.startswith(PNG_SIGNATURE):
        _check_png(data, path)
    try:
        with silenced():
            a = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error as e:
        raise ImageReadError(f"{path}: cannot decode ({_first_line(e)})") from None
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


@dataclass(frozen=True)
class OutputFormat:
    """What a file format can hold: transparency, 16-bit samples; lossy ones take a quality."""

    name: str
    alpha: bool
    deep: bool  # 16-bit samples
    quality_flag: int | None = None  # OpenCV's quality parameter for lossy formats


OUTPUT_FORMATS = {
    ".png": OutputFormat("PNG", alpha=True, deep=True),
    ".tif": OutputFormat("TIFF", alpha=True, deep=True),
    ".tiff": OutputFormat("TIFF", alpha=True, deep=True),
    ".webp": OutputFormat("WebP", alpha=True, deep=False, quality_flag=cv2.IMWRITE_WEBP_QUALITY),
    ".jpg": OutputFormat("JPEG", alpha=False, deep=False, quality_flag=cv2.IMWRITE_JPEG_QUALITY),
    ".jpeg": OutputFormat("JPEG", alpha=False, deep=False, quality_flag=cv2.IMWRITE_JPEG_QUALITY),
    ".bmp": OutputFormat("BMP", alpha=True, deep=False),
}
DEFAULT_QUALITY = 95  # JPEG/WebP: visually lossless for photos at a fraction of PNG's size


def output_format(path: str | os.PathLike) -> OutputFormat:
    """The format a file name asks for (by its suffix), or a ValueError naming those we write."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(f"{path}: cannot write {suffix or 'a file without suffix'}; use .png, .jpg, .webp, .tif or .bmp")
    return OUTPUT_FORMATS[suffix]


def encode_pixels(pixels: np.ndarray, path: str | os.PathLike, quality: int | None = None) -> tuple[bytes, list[str]]:
    """Encode an array from :func:`png_pixels` in the format of ``path``; returns the bytes and
    notes on what the format could not hold (transparency is flattened onto white, 16-bit samples
    rounded to 8), each a reason without the file name, so a batch can count them."""
    fmt, notes = output_format(path), []
    if pixels.shape[2] == 4 and not fmt.alpha:
        top = 65535 if pixels.dtype == np.uint16 else 255
        a = pixels[:, :, 3:].astype(np.float32) / top
        pixels = (pixels[:, :, :3] * a + top * (1 - a) + 0.5).astype(pixels.dtype)
        notes.append(f"{fmt.name} holds no transparency: flattened onto white")
    if pixels.dtype == np.uint16 and not fmt.deep:
        pixels = ((pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)
        notes.append(f"{fmt.name} holds 8 bits per sample: 16-bit output rounded to 8 (use .png or .tif to keep 16)")
    params = [fmt.quality_flag, quality or DEFAULT_QUALITY] if fmt.quality_flag is not None else []
    ok, buf = cv2.imencode(Path(path).suffix.lower(), pixels[:, :, 0] if pixels.shape[2] == 1 else pixels, params)
    if not ok:
        raise OSError(f"{fmt.name} encoding failed")
    return buf.tobytes(), notes


def write_pixels(path: str | os.PathLike, pixels: np.ndarray, quality: int | None = None) -> list[str]:
    """Atomically write an array from :func:`png_pixels` in the format its name asks for; returns
    the notes of :func:`encode_pixels`."""
    data, notes = encode_pixels(pixels, path, quality)
    atomic_write_bytes(path, data)
    return notes


def write_image(path: str | os.PathLike, image: Image, bit_depth: int | None = None, quality: int | None = None) -> list[str]:
    """Atomically write ``image`` in the format its name asks for (16-bit where the source was and
    the format can hold it, unless told otherwise); returns notes on what the format dropped."""
    depth = bit_depth or (16 if image.bit_depth > 8 else 8)
    return write_pixels(path, png_pixels(image.rgb, image.alpha, depth, image.gray), quality)


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
