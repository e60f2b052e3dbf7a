"""Print, as a markdown table, what ganapps answers to each bad (or awkward) input of issue 7.

    OMP_NUM_THREADS=1 python benchmarks/robustness_table.py > robustness.md

Every cell is a real run of the command (in-process, through the same CLI as the ``ganapps``
executable) on inputs made by ``tests/robustness_cases.py``, the same ones ``tests/test_robustness.py``
checks: the exit code, then the first line ganapps printed on stderr (or "ok" and what it wrote).
Tiny random-weight models stand in for the shipped ones; paths are relative to a scratch folder.
The disk-full row is simulated (``os.fsync`` raising ENOSPC), as in the tests.
"""
from __future__ import annotations

import errno
import os
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Callable, ContextManager, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from conftest import make_idx_dataset  # noqa: E402
from ganapps.cli import app  # noqa: E402
from robustness_cases import BAD, BAD_MODELS, GOOD, MODELS, command, smooth  # noqa: E402

COMMANDS = ("translate", "inpaint", "upscale")
runner = CliRunner()
Cell = Callable[[Path], list[str]]  # scratch folder → ganapps arguments


def answer(args: list) -> str:
    """Exit code and the first line on stderr (or "ok" and the summary line) of one run."""
    r = runner.invoke(app, [str(a) for a in args])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        return f"CRASH {type(r.exception).__name__}: {r.exception}"
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    if r.exit_code == 0:
        summary = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        return "0 · ok" + (f": {summary}" if summary.startswith("wrote") else "") + (f" (`{lines[0]}`)" if lines else "")
    return f"{r.exit_code} · `{lines[0] if lines else r.stdout.strip().splitlines()[-1]}`"


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh folder, made the working directory, so messages show short relative paths."""
    old = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            yield Path(".")
        finally:
            os.chdir(old)


def run_cell(make_args: Cell, during: Callable[[], ContextManager] = nullcontext) -> str:
    """Make the inputs in a scratch folder, then run ganapps on them (inside ``during()``)."""
    with scratch() as here:
        args = make_args(here)
        with during():
            return answer(args)


def models(here: Path) -> dict[str, Path]:
    return {name: make(here / f"{name}.safetensors") for name, make in MODELS.items()}


def train_on_folder(here: Path, files: Callable[[Path], object]) -> list:
    """``train inpaint`` (an ImageFolder, like cyclegan/pix2pix) on a folder holding one good photo and ``files``."""
    data = here / "data"
    data.mkdir()
    cv2.imwrite(str(data / "good.png"), smooth(24, 24))
    files(data)
    return ["train", "inpaint", "--data", data, "--out", here / "run", "--size", 16, "--width", 4, "--iters", 1,
            "--batch-size", 1, "--device", "cpu", "--precision", "fp32"]  # fmt: skip


def image_row(case) -> list[str]:
    cells = []
    for cmd in COMMANDS:
        cells.append(run_cell(lambda here: command(cmd, models(here)[cmd], [case.make(here / "in")], here / "out")))
    if case.name in ("missing path", "folder with no images"):  # as the --data folder itself
        cells.append(run_cell(lambda here: ["train", "inpaint", "--data", case.make(here), "--out", "run", "--iters", 1]))
    else:
        cells.append(run_cell(lambda here: train_on_folder(here, case.make)))
    return cells


def mask_row(pixels: Callable[[], np.ndarray | bytes]) -> list[str]:
    def args(here: Path) -> list:
        face = here / "face.png"
        cv2.imwrite(str(face), smooth(30, 40))
        content = pixels()
        mask = here / "mask.png"
        if isinstance(content, bytes):
            mask.write_bytes(content)
        else:
            cv2.imwrite(str(mask), content)
        return command("inpaint", models(here)["inpaint"], [face], here / "out.png", "--mask", mask)

    return ["—", run_cell(args), "—", "—"]


def model_row(case) -> list[str]:
    def cell(cmd: str) -> Cell:
        def args(here: Path) -> list:
            face = here / "face.png"
            cv2.imwrite(str(face), smooth(20, 24))
            return command(cmd, case.make(here, cmd, models(here)[cmd]), [face], here / "out")

        return args

    return [run_cell(cell(cmd)) for cmd in COMMANDS] + ["—"]


def output_row(setup: Callable[[Path, Path], Path], *extra: str, during: Callable[[], ContextManager] = nullcontext) -> list[str]:
    """``setup(here, face)`` prepares the situation and returns the ``-o`` to use."""

    def cell(cmd: str) -> Cell:
        def args(here: Path) -> list:
            face = here / "in" / "face.png"
            face.parent.mkdir()
            cv2.imwrite(str(face), smooth(20, 24))
            return command(cmd, models(here)[cmd], [face], setup(here, face), *extra)

        return args

    return [run_cell(cell(cmd), during) for cmd in COMMANDS] + ["—"]


def existing(here: Path, face: Path) -> Path:
    (here / "out").mkdir()
    (here / "out" / "face.png").write_bytes(b"precious")
    return here / "out"


def under_a_file(here: Path, face: Path) -> Path:
    (here / "notes.txt").write_text("a file")
    return here / "notes.txt" / "out"


@contextmanager
def disk_full() -> Iterator[None]:
    real = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    os.fsync = full
    try:
        yield
    finally:
        os.fsync = real


def idx_row(damage: Callable[[bytes], bytes]) -> list[str]:
    def args(here: Path) -> list:
        data = make_idx_dataset(here / "fmnist", n_train=16, n_test=4)
        images = data / "train-images-idx3-ubyte.gz"
        images.write_bytes(damage(images.read_bytes()))
        return ["train", "dcgan", "--data", data, "--out", here / "run", "--iters", 1, "--device", "cpu"]

    return ["—", "—", "—", run_cell(args)]


def main() -> None:
    torch.set_num_threads(1)
    rows: list[tuple[str, list[str]]] = [(case.name, image_row(case)) for case in BAD + GOOD]
    rows += [
        ("mask of the wrong size", mask_row(lambda: np.zeros((30, 39), np.uint8))),
        ("mask all zero (no hole)", mask_row(lambda: np.zeros((30, 40), np.uint8))),
        ("mask all one (no known pixel)", mask_row(lambda: np.full((30, 40), 255, np.uint8))),
        ("zero-byte mask file", mask_row(lambda: b"")),
        ("unknown --task (typo)", [run_cell(lambda here: ["translate", "x.png", "-o", "out", "--task", "hors2zebra"]),
                                   "—", "—", "—"]),  # fmt: skip
    ]
    rows += [(f"--model: {case.name}", model_row(case)) for case in BAD_MODELS]
    rows += [
        ("existing output, no --overwrite", output_row(existing)),
        ("output path = input path", output_row(lambda here, face: face, "--overwrite")),
        ("-o under a regular file (unwritable)", output_row(under_a_file)),
    ]
    rows.append(("disk full while writing (simulated)", output_row(lambda here, face: here / "out", during=disk_full)))
    rows += [
        ("IDX: truncated .gz", idx_row(lambda raw: raw[: len(raw) // 2])),
        ("IDX: corrupt gzip stream", idx_row(lambda raw: raw[:20] + bytes(b ^ 0x55 for b in raw[20:60]) + raw[60:])),
        ("IDX: zero-byte file", idx_row(lambda raw: b"")),
    ]
    print("| input | translate | inpaint | upscale | train data loading |")
    print("|---|---|---|---|---|")
    for name, cells in rows:
        print("| " + " | ".join(c.replace("|", "\\|") for c in [name, *cells]) + " |")


if __name__ == "__main__":
    main()
