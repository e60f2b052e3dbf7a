"""Which snapshot of a CycleGAN run ships, per direction, by the rule of ``weights/horse2zebra.md``.

Usage: ``python scripts/pick_step.py runs/h2z-attn [--min-background 28] [--table]``

The rule reads only the run's validation log (``val.jsonl``: held-out *training* photos, never the
test split): among the epochs whose background PSNR is at least ``--min-background`` dB, the
highest target rate; ties go to the higher background PSNR. ``--table`` also prints every epoch
as the card's markdown table.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

DIRECTIONS = {"AtoB": "horse2zebra", "BtoA": "zebra2horse"}


def pick(records: list[dict], direction: str, min_background: float) -> dict | None:
    """The record the rule chooses for ``direction`` (``AtoB`` | ``BtoA``), or None if no epoch qualifies."""
    ok = [r for r in records if r[f"{direction}_background_psnr"] >= min_background]
    return max(ok, key=lambda r: (r[f"{direction}_target_rate"], r[f"{direction}_background_psnr"]), default=None)


def table(records: list[dict], chosen: set[int]) -> str:
    rows = ["| epoch | step | h→z target rate | h→z background PSNR (dB) | h→z grid | z→h target rate | z→h background PSNR (dB) |",
            "|---|---|---|---|---|---|---|"]
    for r in records:
        epoch = f"**{r['epoch']}**" if r["step"] in chosen else str(r["epoch"])
        rows.append(f"| {epoch} | {r['step']:,} | {100 * r['AtoB_target_rate']:.0f}% | {r['AtoB_background_psnr']:.1f} | "
                    f"{r['AtoB_artifact_score']:.2f} | {100 * r['BtoA_target_rate']:.0f}% | {r['BtoA_background_psnr']:.1f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--min-background", type=float, default=28.0)
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    records = [json.loads(line) for line in (args.run / "val.jsonl").read_text().splitlines() if line.strip()]
    chosen = set()
    for direction, name in DIRECTIONS.items():
        r = pick(records, direction, args.min_background)
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


if __name__ == "__main__":
    main()
