"""Score every snapshot of a CycleGAN or CUT run again on its held-out photos, e.g. with a new judge.

Usage: ``python scripts/rescore_validation.py runs/h2z-cut [--judge horse-zebra-classifier] [--out FILE]
[--direction AtoB]``

A run scores its generators once, at each epoch end, with the judge it was started with
(``val.jsonl``). When the judge is replaced, the epochs have to be compared again under the new
one: this rebuilds the run's held-out set from its ``run.json`` (the same ``--val`` photos, centre
squares at the training size, their masks), runs each ``snapshots/step_*/generator_*.safetensors``
on it in float32 and writes one line per snapshot in ``val.jsonl``'s format (default
``RUN/val-rescored.jsonl``), which ``scripts/pick_step.py RUN --val-file`` reads.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganapps.data.datasets import UnalignedDataset, load_size_for
from ganapps.eval.domain import load_judge
from ganapps.pipelines.base import load_net
from ganapps.tasks.unpaired import score_translation, validation_sets

DIRECTIONS = {"AtoB": ("A", 1), "BtoA": ("B", 0)}  # direction → (source domain, target class)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--judge", default="horse-zebra-classifier", help="a shipped name or a .safetensors path")
    parser.add_argument("--out", type=Path, help="default: RUN/val-rescored.jsonl")
    parser.add_argument("--direction", choices=tuple(DIRECTIONS), nargs="+", default=list(DIRECTIONS))
    args = parser.parse_args()

    config = json.loads((args.run / "run.json").read_text())
    extra = config["extra"]
    size = next(v["image_size"] for v in extra.values() if isinstance(v, dict) and "image_size" in v)
    dataset = UnalignedDataset(Path(extra["data"]), "train", load_size_for(size), config["seed"], extra["val"])
    held_out = validation_sets(dataset, size)
    judge = load_judge(args.judge)
    epochs = {}
    if (args.run / "val.jsonl").exists():
        epochs = {r["step"]: r["epoch"] for r in map(json.loads, (args.run / "val.jsonl").read_text().splitlines()) if r}
    out = args.out or args.run / "val-rescored.jsonl"
    with out.open("w") as f:
        for snapshot in sorted((args.run / "snapshots").glob("step_*")):
            step = int(snapshot.name.removeprefix("step_"))
            record = {"step": step, "epoch": epochs.get(step), "judge": args.judge}
            for direction in args.direction:
                source, target = DIRECTIONS[direction]
                weights = snapshot / f"generator_{direction}.safetensors"
                if weights.exists() and source in held_out:
                    g, _ = load_net(weights)
                    figures = score_translation(g, held_out[source], target, judge)
                    record |= {f"{direction}_{k}": v for k, v in figures.items()}
            f.write(json.dumps(record) + "\n")
            f.flush()
            print(json.dumps(record))


if __name__ == "__main__":
    main()
