"""Copy a trained generator into ``weights/`` as NAME.safetensors and refresh ``weights/SHA256SUMS``.

Usage: ``python scripts/ship_weights.py runs/h2z128/generator_AtoB.safetensors horse2zebra [--fp16]
[--processing-size N]``

``--fp16`` halves the file and loses nothing visible: outputs of the fp16 files differ from the
fp32 ones by at most one 8-bit level (mean under 0.01 level; measured in fp32 inference on
horse2zebra test photos, Set5 and test faces). The metadata (architecture, task, training facts)
is kept as is, with ``shipped_dtype`` added, and for a translation model ``--processing-size``
(the shorter side ``ganapps translate`` works at by default, chosen on the held-out photos with
``ganapps eval translate --split val --size N``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ganapps.core.checkpoint import load_weights, save_weights
from ganapps.nets import build
from ganapps.weights import sha256

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"


def ship(src: Path, name: str, fp16: bool, processing_size: int | None = None) -> Path:
    tensors, spec = load_weights(src)
    net = build(spec["arch"], spec["config"])
    net.load_state_dict({k: t.float() if t.is_floating_point() else t for k, t in tensors.items()})
    dst = WEIGHTS / f"{name}.safetensors"
    spec = {k: v for k, v in spec.items() if k != "format_version"}
    if processing_size is not None:
        spec["processing_size"] = processing_size
    save_weights(dst, net, spec | {"shipped_dtype": "float16" if fp16 else "float32"},
                 dtype=torch.float16 if fp16 else None)
    return dst


def refresh_sums() -> None:
    """Rewrite SHA256SUMS for every shipped .safetensors, in ``sha256sum`` format."""
    lines = [f"{sha256(p)}  {p.name}\n" for p in sorted(WEIGHTS.glob("*.safetensors"))]
    (WEIGHTS / "SHA256SUMS").write_text("".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("name")
    parser.add_argument("--fp16", action="store_true")
    parser.add_argument("--processing-size", type=int, help="translation models: default processing size")
    args = parser.parse_args()
    dst = ship(args.src, args.name, args.fp16, args.processing_size)
    refresh_sums()
    print(f"wrote {dst} ({dst.stat().st_size / 1e6:.1f} MB) and {WEIGHTS / 'SHA256SUMS'}")


if __name__ == "__main__":
    main()
