"""Summarise a training run folder: steps, wall time, median img/s, D accuracy per epoch.

    python benchmarks/run_summary.py runs/dcgan-fashion

Reads only ``metrics.jsonl``; a resumed run restarts its clock, so wall time is summed per segment.
"""
from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def summarise(run: Path) -> dict:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    if not records:
        raise SystemExit(f"{run}: no metrics")
    seconds, prev = 0.0, 0.0
    for r in records:  # "time" is seconds since the (re)start of the process
        if r["time"] < prev:
            seconds += prev
        prev = r["time"]
    seconds += prev
    per_epoch = defaultdict(list)
    for r in records:
        per_epoch[r["epoch"]].append(r)
    epochs = {
        e: {k: statistics.fmean(r[k] for r in rs) for k in ("d_loss", "g_loss", "d_acc_real", "d_acc_fake") if k in rs[0]}
        for e, rs in sorted(per_epoch.items())
    }
    return {
        "steps": records[-1]["step"],
        "wall_seconds": round(seconds),
        "median_img_s": round(statistics.median(r["img_s"] for r in records)),
        "epochs": epochs,
    }


if __name__ == "__main__":
    s = summarise(Path(sys.argv[1]))
    print(f"steps {s['steps']}, wall {s['wall_seconds'] / 60:.1f} min, median {s['median_img_s']} img/s")
    adversarial = all("d_loss" in m for m in s["epochs"].values())
    if adversarial:
        print("epoch  D loss  G loss  D acc real  D acc fake")
    for e, m in s["epochs"].items():
        if adversarial:
            print(f"{e:5d}  {m['d_loss']:6.3f}  {m['g_loss']:6.3f}  {100 * m['d_acc_real']:9.1f}%  {100 * m['d_acc_fake']:9.1f}%")
        else:  # a generator-only run (SRResNet): its loss alone
            print(f"epoch {e}: G loss {m['g_loss']:.4f}")
