"""Peak memory and throughput of ``upscale`` on a 4K frame ×4, with a randomly initialised SRResNet.

Run it under GNU time to read the peak resident memory (target: under 3 GB on CPU)::

    /usr/bin/time -v python benchmarks/upscale_memory.py            # "Maximum resident set size"

It writes a synthetic 3840×2160 PNG and a random SRResNet weights file to a temporary folder, runs
the same code path as ``ganapps upscale x4`` (:meth:`UpscalePipeline.upscale_file`: tiled, bands
quantized straight into the 8-bit output array) and prints seconds and output megapixels per second.
Random weights cost exactly what trained ones do. ``--blocks 1 --features 8`` keeps the pipeline's
memory (input, output array, PNG encoding) but makes the net nearly free: a quick memory check.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ganapps.core.checkpoint import save_weights
from ganapps.nets import spec_of
from ganapps.nets.srresnet import SRResNet, SRResNetConfig
from ganapps.pipelines.upscale import UpscalePipeline


def synthetic_frame(width: int, height: int) -> np.ndarray:
    """A smooth colour field with sharp edges and text, so PNG encoding is not trivially fast."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (height // 64 + 1, width // 64 + 1, 3), dtype=np.uint8)
    frame = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    for i in range(0, width, 240):
        cv2.rectangle(frame, (i, i // 2 % height), (i + 120, i // 2 % height + 90), (255, 255, 255), 3)
        cv2.putText(frame, "ganapps", (i, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 0), 3)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=3840)
    parser.add_argument("--height", type=int, default=2160)
    parser.add_argument("--tile", type=int, default=128)
    parser.add_argument("--tile-overlap", type=int, default=16)
    parser.add_argument("--precision", default="auto", help="auto (bf16 on AMX or AVX512-BF16) | fp32 | bf16")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--blocks", type=int, default=16)
    parser.add_argument("--features", type=int, default=64)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        src, weights, dst = Path(tmp) / "frame.png", Path(tmp) / "srresnet.safetensors", Path(tmp) / "frame_x4.png"
        cv2.imwrite(str(src), synthetic_frame(args.width, args.height))
        torch.manual_seed(0)
        net = SRResNet(SRResNetConfig(scale=4, num_feat=args.features, num_block=args.blocks))
        save_weights(weights, net, spec_of(net) | {"task": "upscale", "scale": 4})
        del net
        pipe = UpscalePipeline(weights, args.device, args.precision, args.tile, args.tile_overlap)
        start = time.perf_counter()
        pipe.upscale_file(src, dst)
        seconds = time.perf_counter() - start
        megapixels = 16 * args.width * args.height / 1e6
        print(
            f"{args.width}×{args.height} ×4 → {megapixels:.1f} MP in {seconds:.1f} s: {megapixels / seconds:.3f} MP/s "
            f"(SRResNet {args.blocks}×{args.features}, tile {args.tile}/{args.tile_overlap}, "
            f"{pipe.dtype or 'fp32'} on {pipe.device}, {torch.get_num_threads()} threads; output {dst.stat().st_size / 1e6:.0f} MB)"
        )


if __name__ == "__main__":
    main()
