"""The bad (and awkward but valid) inputs of issue 7, each made from scratch in a few bytes or pixels.

Shared by ``tests/test_robustness.py`` and ``benchmarks/robustness_table.py`` (which prints what
ganapps answers to each), so the table in the docs and the tests cover exactly the same files.
Not a test module itself: pytest collects only ``test_*.py``.
"""
from __future__ import annotations

import io
import pickle
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import torch
from PIL import Image as PILImage
from safetensors.torch import save_file

from ganapps.core.checkpoint import save_weights
from ganapps.nets import spec_of
from ganapps.nets.inpaint_net import InpaintGenerator, InpaintGeneratorConfig
from ganapps.nets.resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from ganapps.nets.srresnet import SRResNet, SRResNetConfig


# ------------------------------------------------------------------------------- pixels, bytes
def smooth(h: int, w: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A smooth random uint8 image (blurred noise stretched to the full range)."""
    a = cv2.GaussianBlur(np.random.default_rng(seed).random((h, w, channels)).astype(np.float32), (0, 0), 2)
    a = a.reshape(h, w, channels)
    return np.round((a - a.min()) / (np.ptp(a) + 1e-6) * 255).astype(np.uint8)


def pil_bytes(image: PILImage.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def png_bytes(h: int = 12, w: int = 16, seed: int = 0) -> bytes:
    return pil_bytes(PILImage.fromarray(smooth(h, w, seed=seed)), "PNG")


def jpeg_bytes(h: int = 12, w: int = 16, seed: int = 0) -> bytes:
    return pil_bytes(PILImage.fromarray(smooth(h, w, seed=seed)), "JPEG", quality=90)


def exif_jpeg_bytes(h: int = 10, w: int = 16) -> bytes:
    """A JPEG stored ``w`` wide and ``h`` high whose EXIF says: show it rotated 90° clockwise."""
    exif = PILImage.Exif()
    exif[0x0112] = 6
    return pil_bytes(PILImage.fromarray(smooth(h, w)), "JPEG", exif=exif.tobytes())


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header declaring ``width``×``height`` 8-bit gray pixels, with a few bytes of
    data: what a decompression bomb looks like before anyone decodes it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")


def bad_crc_png() -> bytes:
    """A valid PNG whose IDAT checksum is flipped."""
    data = bytearray(png_bytes())
    i = data.find(b"IDAT")
    n = struct.unpack(">I", data[i - 4 : i])[0]
    data[i + 4 + n] ^= 0xFF
    return bytes(data)


def bad_pixels_png() -> bytes:
    """A PNG whose chunks are all intact (CRCs right) but whose compressed pixels are garbage: only
    the decoder can tell, and libpng says so on stderr."""
    data = png_bytes()
    i = data.find(b"IDAT")
    n = struct.unpack(">I", data[i - 4 : i])[0]
    garbage = b"\x78\x9c" + b"\xff" * (n - 2)
    return data[: i - 4] + _chunk(b"IDAT", garbage) + data[i + 8 + n :]


def bad_tag_tiff() -> bytes:
    """A TIFF whose RowsPerStrip tag points far past the end of the file: Pillow warns (three
    Python warnings), libtiff logs an error, and the pixels cannot be read."""
    data = bytearray(pil_bytes(PILImage.fromarray(smooth(10, 12)), "TIFF"))
    ifd = struct.unpack("<I", data[4:8])[0]
    for i in range(struct.unpack("<H", data[ifd : ifd + 2])[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack("<H", data[entry : entry + 2])[0] == 278:  # RowsPerStrip
            data[entry : entry + 12] = struct.pack("<HHII", 278, 4, 1000, 10**6)
    return bytes(data)


# ------------------------------------------------------------------------------------ cases
@dataclass(frozen=True)
class Case:
    """One input: ``make(folder)`` creates it there and returns the path to pass on the command
    line; ``reason`` is a piece of the expected one-line error, or None for an input that works.
    A working input has ``size`` (height, width, after EXIF rotation), an alpha channel or not,
    and a bit depth, all of which its output keeps; ``refused`` maps a command that still turns
    it down (inpaint: a 1×1 image has no room for a hole and known pixels) to its reason."""

    name: str
    make: Callable[[Path], Path]
    reason: str | None = None
    size: tuple[int, int] = (0, 0)
    alpha: bool = False
    depth: int = 8
    refused: dict[str, str] = field(default_factory=dict)


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        return folder / name

    return make


def _pil(name: str, image: Callable[[], PILImage.Image], **save) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        image().save(folder / name, **save)
        return folder / name

    return make


def _missing(folder: Path) -> Path:
    return folder / "missing.png"


def _empty_folder(folder: Path) -> Path:
    (folder / "empty").mkdir(parents=True, exist_ok=True)
    return folder / "empty"


def _palette(transparent: bool) -> PILImage.Image:
    im = PILImage.fromarray(smooth(9, 13)).convert("P", palette=PILImage.Palette.ADAPTIVE, colors=16)
    if transparent:
        im.info["transparency"] = 0
    return im


def _rgb(h: int, w: int, mode: str = "RGB") -> Callable[[], PILImage.Image]:
    def image() -> PILImage.Image:
        base = PILImage.fromarray(smooth(h, w))
        if mode == "RGBA":
            base.putalpha(PILImage.fromarray(smooth(h, w, 1, seed=1)[:, :, 0]))
        return base.convert(mode) if mode not in ("RGB", "RGBA") else base

    return image


def _rgb16(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(folder / "deep16.png"), smooth(11, 14).astype(np.uint16) * 257)
    return folder / "deep16.png"


def _gray_alpha() -> PILImage.Image:
    return PILImage.fromarray(np.dstack([smooth(10, 12, 1)[:, :, 0], smooth(10, 12, 1, seed=2)[:, :, 0]]), "LA")


_JPEG = jpeg_bytes(24, 32)
_PNG = png_bytes(24, 32)

BAD: list[Case] = [
    Case("missing path", _missing, "no such file"),
    Case("folder with no images", _empty_folder, "folder holds no images"),
    Case("zero-byte file", _write("zero.png", b""), "empty file (0 bytes)"),
    Case("text named .jpg", _write("notes.jpg", b"these are my notes, not a photo\n" * 3), "not a recognised image"),
    Case("truncated JPEG", _write("cut.jpg", _JPEG[:-100]), "truncated"),
    Case("truncated PNG", _write("short.png", _PNG[: len(_PNG) // 2]), "truncated"),
    Case("PNG with wrong CRC", _write("crc.png", bad_crc_png()), "CRC"),
    Case("PNG with garbage pixel data (CRCs right)", _write("garbage.png", bad_pixels_png()), "corrupt or truncated image data"),
    Case("TIFF with a tag pointing past its end", _write("damaged.tif", bad_tag_tiff()), "corrupt or truncated image data"),
    Case("decompression bomb (50000×50000 header)", _write("bomb.png", bomb_png(50_000, 50_000)), "GANAPPS_MAX_PIXELS"),
    Case("bad file named like markup", _write("[red]notes[i].jpg", b"text"), "not a recognised image"),
]

GOOD: list[Case] = [
    Case("grayscale PNG", _pil("gray.png", _rgb(10, 12, "L")), size=(10, 12)),
    Case("gray+alpha PNG", _pil("gray_alpha.png", _gray_alpha), size=(10, 12), alpha=True),
    Case("RGBA PNG", _pil("rgba.png", _rgb(10, 12, "RGBA")), size=(10, 12), alpha=True),
    Case("palette PNG", _pil("palette.png", lambda: _palette(False)), size=(9, 13)),
    Case("palette PNG + transparency", _pil("palette_trns.png", lambda: _palette(True)), size=(9, 13), alpha=True),
    Case("16-bit PNG", _rgb16, size=(11, 14), depth=16),
    Case("CMYK JPEG", _pil("cmyk.jpg", _rgb(10, 12, "CMYK")), size=(10, 12)),
    Case("EXIF-rotated JPEG", _write("rotated.jpg", exif_jpeg_bytes(10, 16)), size=(16, 10)),
    Case("WebP with alpha", _pil("photo.webp", _rgb(10, 12, "RGBA"), lossless=True), size=(10, 12), alpha=True),
    Case("TIFF", _pil("scan.tif", _rgb(10, 12)), size=(10, 12)),
    Case("1×1 image", _pil("dot.png", _rgb(1, 1)), size=(1, 1), refused={"inpaint": "no 1×1 mask has a hole ratio"}),
    Case("10000×20 strip", _pil("strip.png", _rgb(20, 10000)), size=(20, 10000)),
]


# ------------------------------------------------------------------------ tiny random models
def translate_model(path: Path) -> Path:
    torch.manual_seed(0)
    g = ResNetGenerator(ResNetGeneratorConfig(ngf=4, n_blocks=1))
    save_weights(path, g, spec_of(g) | {"task": "translate", "model": "cyclegan", "image_size": 16, "input": "photo"})
    return path


def upscale_model(path: Path) -> Path:
    torch.manual_seed(0)
    net = SRResNet(SRResNetConfig(scale=2, num_feat=8, num_block=1))
    save_weights(path, net, spec_of(net) | {"task": "upscale", "scale": 2})
    return path


def inpaint_model(path: Path) -> Path:
    torch.manual_seed(0)
    g = InpaintGenerator(InpaintGeneratorConfig(width=4))
    save_weights(path, g, spec_of(g) | {"task": "inpaint", "image_size": 16})
    return path


def command(name: str, model: Path, inputs: list[Path], out: Path, *extra: str) -> list[str]:
    """The ``ganapps`` arguments that run ``name`` (translate | upscale | inpaint) on ``inputs``;
    inpaint draws its own mask (``--random-mask``) unless ``extra`` gives one."""
    head = {"translate": ["translate"], "upscale": ["upscale", "x2"], "inpaint": ["inpaint"]}[name]
    if name == "inpaint" and "--mask" not in extra:
        extra = ("--random-mask", *extra)
    return [*head, *map(str, inputs), "-o", str(out), "--model", str(model), "--device", "cpu", *extra]


MODELS: dict[str, Callable[[Path], Path]] = {"translate": translate_model, "upscale": upscale_model, "inpaint": inpaint_model}
SCALE = {"translate": 1, "upscale": 2, "inpaint": 1}


# ------------------------------------------------------------------------ bad --model files
class Evil:
    """Unpickling this creates ``marker``: proof that a file was (or was not) unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@dataclass(frozen=True)
class ModelCase:
    """A bad ``--model``: ``make(folder, command, good)`` returns the argument, given the path of a
    working model for ``command``; ``reason`` is a piece of the one-line error; ``exit_code`` 2 for
    a usage error (an unknown name), 1 for an unusable file."""

    name: str
    make: Callable[[Path, str, Path], str]
    reason: str
    exit_code: int = 1


def _edited(name: str, edit: Callable[[dict[str, torch.Tensor]], None]) -> Callable[[Path, str, Path], str]:
    """The command's own model with its tensors edited (its metadata kept: it still claims to fit)."""

    def make(folder: Path, cmd: str, good: Path) -> str:
        from safetensors import safe_open

        with safe_open(str(good), framework="pt") as f:
            tensors, meta = {k: f.get_tensor(k) for k in f.keys()}, f.metadata()
        edit(tensors)
        save_file(tensors, str(folder / name), metadata=meta)
        return str(folder / name)

    return make


def _drop_first(t: dict[str, torch.Tensor]) -> None:
    del t[sorted(t)[0]]


def _reshape_first(t: dict[str, torch.Tensor]) -> None:
    t[sorted(t)[0]] = torch.zeros(1, 2, 3)


def _foreign(folder: Path, cmd: str, good: Path) -> str:
    save_file({"conv_first.weight": torch.zeros(8, 3, 3, 3)}, str(folder / "foreign.safetensors"))
    return str(folder / "foreign.safetensors")


def _truncated(folder: Path, cmd: str, good: Path) -> str:
    (folder / "cut.safetensors").write_bytes(good.read_bytes()[:100])
    return str(folder / "cut.safetensors")


def _other_task(folder: Path, cmd: str, good: Path) -> str:
    return str(MODELS["translate" if cmd == "upscale" else "upscale"](folder / "other.safetensors"))


def _torch_pickle(folder: Path, cmd: str, good: Path) -> str:
    torch.save({"params": Evil(folder / "UNPICKLED")}, folder / "model.pth")
    return str(folder / "model.pth")


def _raw_pickle(folder: Path, cmd: str, good: Path) -> str:
    (folder / "model.pt").write_bytes(pickle.dumps(Evil(folder / "UNPICKLED"), protocol=4))
    return str(folder / "model.pt")


def _typo(folder: Path, cmd: str, good: Path) -> str:
    return {"translate": "horse2zebr", "upscale": "srgann", "inpaint": "inpaint-face"}[cmd]


BAD_MODELS: list[ModelCase] = [
    ModelCase(".safetensors from elsewhere (no ganapps metadata)", _foreign, "no ganapps metadata"),
    ModelCase(".safetensors with a missing tensor", _edited("missing.safetensors", _drop_first), "missing tensor"),
    ModelCase(".safetensors with a mismatched tensor", _edited("mismatch.safetensors", _reshape_first), "has shape (1, 2, 3)"),
    ModelCase("truncated .safetensors", _truncated, "not a readable .safetensors file"),
    ModelCase("model of another task", _other_task, "not a"),
    ModelCase("torch.save .pth with a code payload", _torch_pickle, "a PyTorch pickle file"),
    ModelCase("raw pickle .pt with a code payload", _raw_pickle, "a PyTorch pickle file"),
    ModelCase("unknown model name (typo)", _typo, "did you mean", exit_code=2),
]
