"""Average the weights of several snapshots of one generator into one file (a post-hoc "model soup").

Usage: ``python scripts/average_snapshots.py runs/h2z-cut/snapshots/step_0{25900,29400,31500}/generator_AtoB.safetensors
--out runs/h2z-cut/soup.safetensors``

Why: an adversarial run does not converge to one generator, it circles around one; the snapshots
of neighbouring epochs differ in which stripes they paint and how much scene they touch. Their
mean (Polyak averaging after the fact, as an EMA of G does during training; Yazıcı et al. 2019,
"The unusual effectiveness of averaging in GAN training") keeps what they agree on. The files must
come from the same run (same architecture and config); the result keeps the first file's metadata
(``trained_steps``: the latest file's) and records its sources in ``averaged_from``. Which snapshots to average is chosen on the run's
held-out validation photos, like any shipped step.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ganapps.core.checkpoint import load_weights, save_weights
from ganapps.nets import build


def average(files: list[Path]) -> tuple[torch.nn.Module, dict]:
    """The net of ``files[0]``'s architecture holding the mean of every file's floating tensors.

    Integer tensors (e.g. a BatchNorm's step count) are taken from the first file; files of
    another architecture or config are refused.
    """
    loaded = [load_weights(f) for f in files]
    spec = loaded[0][1]
    for f, (_, other) in zip(files[1:], loaded[1:]):
        if (other["arch"], other["config"]) != (spec["arch"], spec["config"]):
            raise SystemExit(f"error: {f} is a different network ({other['arch']}) from {files[0]} ({spec['arch']})")
    first = loaded[0][0]
    mean = {
        k: torch.stack([t[k].float() for t, _ in loaded]).mean(0) if v.is_floating_point() else v
        for k, v in first.items()
    }
    net = build(spec["arch"], spec["config"])
    net.load_state_dict(mean)
    steps = [other["trained_steps"] for _, other in loaded if "trained_steps" in other]
    return net, spec | ({"trained_steps": max(steps)} if steps else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+", help="generator .safetensors files of one run")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if len(args.files) < 2:
        parser.error("give at least two files to average")
    net, spec = average(args.files)
    spec = {k: v for k, v in spec.items() if k != "format_version"}
    save_weights(args.out, net, spec | {"averaged_from": [str(f) for f in args.files]})
    print(f"wrote {args.out}: the mean of {len(args.files)} files")


if __name__ == "__main__":
    main()
