"""Where the end-to-end time of one ``ganapps translate`` goes: process start, imports, model load,
first call (warm-up), a second call, writing the file.

    python benchmarks/startup.py [--repeats 5]

Whole-process figures come from fresh interpreters (``subprocess``), as a user's command starts;
the stage figures from one fresh interpreter that times each stage in turn (``--stages``, run by
this script). Medians over ``--repeats``. Run it on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TASK = "zebra2horse"


def _photo(folder: Path) -> Path:
    """A 256×256 smooth test photo (the horse2zebra photos' size)."""
    import cv2

    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur((rng.random((256, 256, 3)) * 255).astype(np.uint8), (0, 0), 3)
    path = folder / "photo.png"
    cv2.imwrite(str(path), img)
    return path


def _wall(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def stages(photo: Path, out: Path) -> dict[str, float]:
    """One fresh process: each stage's seconds, in the order a translate command runs them."""
    t = time.perf_counter()
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        marks[name] = now - t
        t = now

    import ganapps.cli  # noqa: F401  (the CLI's own imports: typer, rich)
    mark("import ganapps.cli")
    import torch  # noqa: F401
    mark("import torch")
    from ganapps.data.io import read_image, write_image
    from ganapps.pipelines.translate import TranslatePipeline
    from ganapps.weights import resolve
    mark("import pipeline (cv2, kornia, ...)")
    weights = resolve(TASK)
    mark("resolve weights (sha256 check)")
    pipe = TranslatePipeline(weights)
    mark("model load")
    image = read_image(photo)
    mark("decode")
    pipe(image)
    mark("first call")
    result = pipe(image)
    mark("second call")
    write_image(out, result)
    mark("encode + write")
    return marks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--stages", nargs=2, type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.stages:
        print(json.dumps(stages(*args.stages)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        photo, out = _photo(Path(tmp)), Path(tmp) / "out.png"
        rows = {
            "python -c pass": _wall([sys.executable, "-c", "pass"], args.repeats),
            "ganapps --help": _wall([sys.executable, "-m", "ganapps", "--help"], args.repeats),
            f"ganapps translate --task {TASK} (one 256 px photo)": _wall(
                [sys.executable, "-m", "ganapps", "translate", "--task", TASK, str(photo), "-o", str(out), "--overwrite"],
                args.repeats,
            ),
        }
        for name, seconds in rows.items():
            print(json.dumps({"process": name, "s": round(seconds, 3)}))
        runs = [json.loads(subprocess.run([sys.executable, __file__, "--stages", str(photo), str(out)], check=True,
                                          capture_output=True, text=True).stdout) for _ in range(args.repeats)]
        for name in runs[0]:
            print(json.dumps({"stage": name, "s": round(statistics.median(r[name] for r in runs), 3)}))


if __name__ == "__main__":
    main()
