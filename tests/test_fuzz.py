"""Issue 7: property-based fuzzing of image decoding and of the inpainting mask path.

The only allowed outcomes are a well-formed result or our own one-line error
(:class:`~ganapps.data.io.ImageReadError` for files, ``ValueError`` for masks); anything else (a
cv2/Pillow exception, a crash, NaNs, a wrong shape) fails. 200 cases per property run in CI; a
longer campaign: ``GANAPPS_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py``. Each crash
found becomes a case in ``REGRESSIONS`` below.
"""
from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image as PILImage

from ganapps.data.io import IMAGE_SUFFIXES, PNG_SIGNATURE, Image, ImageReadError, read_image
from ganapps.pipelines.inpaint import InpaintPipeline, check_mask, read_mask
from robustness_cases import exif_jpeg_bytes, inpaint_model, pil_bytes, smooth

EXAMPLES = int(os.environ.get("GANAPPS_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
LIMIT = 1_000_000  # mutated headers may declare anything: keep each decode small and fast


def _seeds() -> dict[str, bytes]:
    """Small valid files of every format and layout read_image supports: what mutations start from."""
    rgb = PILImage.fromarray(smooth(9, 11))
    rgba = rgb.copy()
    rgba.putalpha(128)
    deep = cv2.imencode(".png", smooth(7, 6).astype(np.uint16) * 257)[1].tobytes()
    return {
        "png": pil_bytes(rgb, "PNG"),
        "png-rgba": pil_bytes(rgba, "PNG"),
        "png-gray-alpha": pil_bytes(rgb.convert("LA"), "PNG"),
        "png-palette": pil_bytes(rgb.convert("P", palette=PILImage.Palette.ADAPTIVE, colors=8), "PNG"),
        "png-16bit": deep,
        "jpeg": pil_bytes(rgb, "JPEG"),
        "jpeg-progressive": pil_bytes(rgb, "JPEG", progressive=True),
        "jpeg-cmyk": pil_bytes(rgb.convert("CMYK"), "JPEG"),
        "jpeg-exif": exif_jpeg_bytes(),
        "webp": pil_bytes(rgba, "WEBP", lossless=True),
        "tiff": pil_bytes(rgb, "TIFF"),
        "bmp": pil_bytes(rgb, "BMP"),
    }


SEEDS = _seeds()


def fix_png_crcs(data: bytes) -> bytes:
    """Recompute every chunk CRC a mutated PNG still has, so the mutation reaches the decoder
    instead of stopping at our CRC check."""
    if not data.startswith(PNG_SIGNATURE):
        return data
    out, pos = bytearray(data), len(PNG_SIGNATURE)
    while pos + 12 <= len(out):
        length = struct.unpack(">I", out[pos : pos + 4])[0]
        end = pos + 12 + length
        if end > len(out):
            break
        out[end - 4 : end] = struct.pack(">I", zlib.crc32(out[pos + 4 : end - 4]))
        pos = end
    return bytes(out)


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A seed file with random byte flips, a cut, an insertion, or a rewritten PNG header."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    kind = draw(st.sampled_from(["flip", "cut", "insert", "ihdr"]))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    elif kind == "cut":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "insert":
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(min_size=1, max_size=64))
    elif name.startswith("png"):  # IHDR body: width, height, depth, colour type, compression, filter, interlace
        ihdr = struct.pack(
            ">IIBBBBB", draw(st.integers(0, 2**31 - 1)), draw(st.integers(0, 2**31 - 1)),
            draw(st.sampled_from([0, 1, 2, 4, 8, 16, 3])), draw(st.sampled_from([0, 2, 3, 4, 6, 1, 7])),
            draw(st.integers(0, 1)), draw(st.integers(0, 1)), draw(st.integers(0, 2)),
        )  # fmt: skip
        data[16:29] = ihdr
    if draw(st.booleans()):
        data = bytearray(fix_png_crcs(bytes(data)))
    return name, bytes(data)


def check_outcome(path: Path) -> None:
    """read_image gives a well-formed image or an ImageReadError naming the file on one line."""
    try:
        image = read_image(path, max_pixels=LIMIT)
    except ImageReadError as e:
        message = str(e)
        assert message.startswith(f"{path}: ") and "\n" not in message and len(message) > len(str(path)) + 2
        return
    h, w = image.size
    assert image.rgb.shape == (h, w, 3) and image.rgb.dtype == np.float32 and 0 < h * w <= LIMIT
    assert np.isfinite(image.rgb).all() and image.rgb.min() >= 0 and image.rgb.max() <= 1
    assert image.alpha is None or (image.alpha.shape == (h, w) and np.isfinite(image.alpha).all())
    assert image.bit_depth in (8, 16, 32)


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from(sorted(IMAGE_SUFFIXES)))
def test_random_bytes_decode_or_fail_clearly(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    check_outcome(path)


@FUZZ
@given(case=mutated())
def test_mutated_images_decode_or_fail_clearly(tmp_path: Path, case: tuple[str, bytes]) -> None:
    name, data = case
    path = tmp_path / f"mutated.{name.split('-')[0].replace('jpeg', 'jpg').replace('tiff', 'tif')}"
    path.write_bytes(data)
    check_outcome(path)


@pytest.fixture(scope="module")
def pipe(tmp_path_factory: pytest.TempPathFactory) -> InpaintPipeline:
    torch.set_num_threads(1)
    return InpaintPipeline(inpaint_model(tmp_path_factory.mktemp("model") / "g.safetensors"))


@st.composite
def masks(draw) -> tuple[np.ndarray, tuple[int, int]]:
    """A mask file's pixels (gray or gray+alpha, 8 or 16 bit) and the image's size: mostly the
    mask's, so the fill itself gets fuzzed, sometimes another."""
    side = st.integers(1, 24)
    h, w = draw(side), draw(side)
    mh, mw = (h, w) if draw(st.integers(0, 3)) else (draw(side), draw(side))
    dtype = draw(st.sampled_from([np.uint8, np.uint16]))
    shape = (mh, mw, 2) if draw(st.booleans()) else (mh, mw)
    levels = st.sampled_from([0, 0, 0, 1, int(np.iinfo(dtype).max)])
    return draw(arrays(dtype, shape, elements=levels)), (h, w)


@FUZZ
@given(case=masks())
def test_any_mask_fills_only_its_hole_or_fails_clearly(tmp_path: Path, pipe: InpaintPipeline, case) -> None:
    pixels, (h, w) = case
    path = tmp_path / "mask.png"
    if pixels.ndim == 3:  # gray+alpha: OpenCV writes it as BGRA with equal colours
        pixels = np.dstack([pixels[:, :, 0]] * 3 + [pixels[:, :, 1]])
    assert cv2.imwrite(str(path), pixels)
    image = Image(np.random.default_rng(0).random((h, w, 3), dtype=np.float32))
    hole = read_mask(path)
    try:
        check_mask(hole, image)
    except ValueError as e:
        assert "\n" not in str(e) and ("must have its image's size" in str(e) or "covers the whole image" in str(e))
        return
    out = pipe(image, hole)
    assert out.rgb.shape == (h, w, 3) and np.isfinite(out.rgb).all()
    assert np.array_equal(out.rgb[~hole], image.rgb[~hole])


def png_with_header(width: int, height: int, depth: int, colour: int = 2) -> bytes:
    """The RGB seed PNG with another IHDR (CRCs fixed): the shape of every PNG crash found so far."""
    data = bytearray(SEEDS["png"])
    data[16:29] = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return fix_png_crcs(bytes(data))


# Crashes the fuzzer found (before the fix, Pillow decoded the whole PNG to look for EXIF, ahead of
# the pixel-limit check, and only some of its exception types were caught).
REGRESSIONS: dict[str, bytes] = {
    "overflow_height_2_31.png": png_with_header(11, 0x80000009, 8),  # OverflowError from Pillow
    "memory_44M_px_row_16bit.png": png_with_header(0x02AAAAA4, 1, 16),  # MemoryError from Pillow
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_fuzz_regressions(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(REGRESSIONS[name])
    check_outcome(path)
