"""The shipped weights: name → file in ``weights/``, with what a user needs to choose one.

Integrity: ``weights/SHA256SUMS`` (``sha256sum`` format) lists every shipped file; a shipped file
whose hash does not match is reported, never silently used. Files are looked up in
``$GANAPPS_WEIGHTS`` if set, else in the ``weights/`` folder of the source checkout.
"""
from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class ShippedModel:
    name: str
    task: str
    data: str
    metric: str  # the headline measured figure, from the model card


REGISTRY: dict[str, ShippedModel] = {
    m.name: m
    for m in [
        ShippedModel("dcgan-fashion", "generate", "Fashion-MNIST, 60k train", "classifier-FID 63.0 (real floor 0.78), all 10 classes 8–12%"),
        ShippedModel("fmnist-classifier", "classify (FID features)", "Fashion-MNIST, 60k train", "test accuracy 94.36%"),
        ShippedModel("horse2zebra", "translate", "horse2zebra, 700+700 train photos, 128 px (CUT); runs at 192 px", "90.8% of test horses judged zebras; background 27.9 dB"),
        ShippedModel("zebra2horse", "translate", "horse2zebra, 700+700 train photos, 128 px; runs at 160 px", "90.7% of test zebras judged horses; background 28.7 dB"),
        ShippedModel("horse-zebra-classifier", "classify (translation eval)", "horse2zebra train photos less validation", "test accuracy 95.8% (horses 98.3%, zebras 93.6%)"),
        ShippedModel("facades", "translate", "CMP facades: 400 label map/photo pairs, 128 px", "test PSNR 12.94 dB, SSIM 0.220"),
        ShippedModel("sketch2photo", "translate", "faces: 9,250 CelebA photos with varied drawings, 96 px", "test PSNR 16.26 dB, SSIM 0.654"),
        ShippedModel("inpaint-faces", "inpaint", "faces: 9,200 CelebA photos, wide masks, 88 px", "+2.8 to +3.1 dB PSNR over OpenCV Telea at the faces' own size"),
        ShippedModel("srresnet-x4", "upscale", "T91 + BSDS200", "Set5 ×4 Y-PSNR 31.21 dB (bicubic 28.43)"),
        ShippedModel("srgan-x4", "upscale", "T91 + BSDS200", "sharper; Set5 ×4 Y-PSNR 30.13 dB (bicubic 28.43)"),
    ]
}


class UnknownModel(ValueError):
    pass


class CorruptWeights(ValueError):
    pass


def weights_dir() -> Path:
    env = os.environ.get("GANAPPS_WEIGHTS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "weights"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _expected_hashes(folder: Path) -> dict[str, str]:
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        return {}
    pairs = (line.split(maxsplit=1) for line in sums.read_text().splitlines() if line.strip())
    return {name.strip().lstrip("*"): digest for digest, name in pairs}


def suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def resolve(name_or_path: str, task: str | None = None, aliases: Iterable[str] = ()) -> Path:
    """A shipped model's verified file, or the path a user gave (which must exist).

    ``aliases``: other names the caller accepts (``srgan`` for ``upscale``), so a typo of one of
    them gets the right suggestion in the "unknown model" error."""
    if name_or_path in REGISTRY:
        folder = weights_dir()
        path = folder / f"{name_or_path}.safetensors"
        if not path.exists():
            raise FileNotFoundError(f"shipped model {name_or_path!r} is missing: no {path}")
        expected = _expected_hashes(folder).get(path.name)
        if expected is None:
            raise CorruptWeights(f"{path}: not listed in {folder / 'SHA256SUMS'}; refusing an unverified shipped file")
        if sha256(path) != expected:
            raise CorruptWeights(f"{path}: sha256 does not match SHA256SUMS (corrupted or modified file)")
        return path
    path = Path(name_or_path)
    if path.suffix in (".safetensors",) or os.sep in name_or_path or path.exists():
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such model file")
        return path
    choices = [*aliases, *(n for n, m in REGISTRY.items() if task is None or m.task == task)]
    raise UnknownModel(f"unknown model {name_or_path!r}{suggest(name_or_path, choices)}; run 'ganapps models' to list them")
