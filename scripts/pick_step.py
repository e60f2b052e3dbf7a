"""Which snapshot of a CycleGAN or CUT run ships, per direction, by the rule of ``weights/horse2zebra.md``.

Usage: ``python scripts/pick_step.py runs/h2z-attn [--min-background 28] [--tie 0.02] [--table]
[--step-seconds S --hours H ...] [--val-file val-rescored.jsonl]``

The rule reads only the run's validation log (``val.jsonl``, or ``--val-file`` in the run folder,
e.g. the snapshots scored again under a new judge by ``scripts/rescore_validation.py``: held-out
*training* photos, never the test split): among the epochs whose background PSNR is at least ``--min-background`` dB, those
within ``--tie`` of the highest target rate (0.02: one photo of 50, which is noise) count as tied,
and of those the one with the highest background PSNR ships. ``--table`` also prints every epoch
as the card's markdown table. ``--step-seconds`` (a step's cost, from ``benchmarks/training_speed.py
--task unpaired``) with ``--hours`` prints what the rule would have shipped had the run stopped
after each budget of compute: how two methods are compared at equal CPU time.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

DIRECTIONS = {"AtoB": "horse2zebra", "BtoA": "zebra2horse"}


def pick(records: list[dict], direction: str, min_background: float, tie: float = 0.02) -> dict | None:
    """The record the rule chooses for ``direction`` (``AtoB`` | ``BtoA``), or None if no epoch qualifies.

    >>> recs = [{"AtoB_target_rate": r, "AtoB_background_psnr": b} for r, b in [(1.0, 29.4), (0.98, 33.1), (0.9, 35.0), (1.0, 20.0)]]
    >>> pick(recs, "AtoB", 28.0)["AtoB_background_psnr"]  # 98% ties with 100%: the better background wins
    33.1
    >>> pick(recs, "AtoB", 28.0, tie=0.0)["AtoB_background_psnr"]
    29.4
    """
    ok = [r for r in records if r[f"{direction}_background_psnr"] >= min_background]
    if not ok:
        return None
    best = max(r[f"{direction}_target_rate"] for r in ok)
    tied = [r for r in ok if r[f"{direction}_target_rate"] >= best - tie - 1e-9]
    return max(tied, key=lambda r: r[f"{direction}_background_psnr"])


def within_budget(records: list[dict], step_seconds: float, hours: float) -> list[dict]:
    """The epochs a run had reached after ``hours`` of compute at ``step_seconds`` per step.

    >>> [r["step"] for r in within_budget([{"step": 700}, {"step": 1400}], 1.0, 0.25)]
    [700]
    """
    return [r for r in records if r["step"] * step_seconds <= hours * 3600]


def table(records: list[dict], chosen: set[int]) -> str:
    """Every epoch as the card's markdown table, with the directions the run has (CUT: AtoB only)."""
    present = [d for d in DIRECTIONS if f"{d}_target_rate" in records[0]]
    short = {"AtoB": "h→z", "BtoA": "z→h"}
    head = ["epoch", "step"]
    for d in present:
        head += [f"{short[d]} target rate", f"{short[d]} background PSNR (dB)"] + ([f"{short[d]} grid"] if d == "AtoB" else [])
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in records:
        cells = [f"**{r['epoch']}**" if r["step"] in chosen else str(r["epoch"]), f"{r['step']:,}"]
        for d in present:
            cells += [f"{100 * r[f'{d}_target_rate']:.0f}%", f"{r[f'{d}_background_psnr']:.1f}"]
            cells += [f"{r[f'{d}_artifact_score']:.2f}"] if d == "AtoB" else []
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--min-background", type=float, default=28.0)
    parser.add_argument("--tie", type=float, default=0.02)
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--step-seconds", type=float, help="seconds per training step, for --hours")
    parser.add_argument("--hours", type=float, nargs="+", default=[], help="compute budgets to pick within")
    parser.add_argument("--val-file", default="val.jsonl", help="the validation log in the run folder")
    args = parser.parse_args()
    records = [json.loads(line) for line in (args.run / args.val_file).read_text().splitlines() if line.strip()]
    present = {d: name for d, name in DIRECTIONS.items() if f"{d}_target_rate" in records[0]}  # CUT: AtoB only
    chosen = set()
    for direction, name in present.items():
        r = pick(records, direction, args.min_background, args.tie)
        if r is None:
            print(f"{name}: no epoch keeps the background at {args.min_background:g} dB")
            continue
        chosen.add(r["step"])
        snapshot = args.run / "snapshots" / f"step_{r['step']:06d}" / f"generator_{direction}.safetensors"
        print(f"{name}: epoch {r['epoch']}, step {r['step']:,}: target rate {100 * r[f'{direction}_target_rate']:.0f}%, "
              f"background {r[f'{direction}_background_psnr']:.2f} dB, grid {r[f'{direction}_artifact_score']:.2f}  "
              f"→ {snapshot}")
    if args.table:
        print(table(records, chosen))
    reached = records[-1]["step"] * (args.step_seconds or 0) / 3600
    for hours in [h for h in args.hours if h <= reached]:  # budgets the run has spent, no more
        for direction, name in present.items():
            r = pick(within_budget(records, args.step_seconds, hours), direction, args.min_background, args.tie)
            if r is not None:
                print(f"| {hours:g} h | {name} | {r['epoch']} | {100 * r[f'{direction}_target_rate']:.0f}% | "
                      f"{r[f'{direction}_background_psnr']:.1f} |")


if __name__ == "__main__":
    main()
