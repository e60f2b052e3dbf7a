"""Batch processing of user files: map inputs to outputs, keep going past bad files, list failures.

Shared by ``translate``, ``upscale`` and ``inpaint``: one PNG per input with the input's stem in an
output folder, or ``-o FILE.png`` for a single input. An existing output is never overwritten
without ``overwrite=True``, an output may never be one of the inputs, and each output is written
atomically by the per-file function (see :func:`ganapps.data.io.write_image`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ganapps.data.io import expand_inputs


class OutputPlanError(ValueError):
    """The inputs and ``-o`` cannot be mapped to outputs (a usage error)."""


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line each: "path: reason"


def plan_outputs(inputs: list[str], output: Path, overwrite: bool = False) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Expand ``inputs`` and pair each image with its output path; returns (pairs, problems)."""
    paths, problems = expand_inputs(inputs)
    if not paths and not problems:
        raise OutputPlanError("no input given")
    single_file = output.suffix.lower() == ".png" and not output.is_dir()
    if single_file and len(paths) + len(problems) > 1:
        raise OutputPlanError(f"-o {output} names one file, but {len(paths) + len(problems)} inputs were given; use a folder")
    if not single_file and output.suffix and not output.is_dir() and output.suffix.lower() != ".png":
        raise OutputPlanError(f"-o {output}: outputs are PNG; give a .png file name or a folder")
    pairs: list[tuple[Path, Path]] = []
    inputs_resolved = {p.resolve() for p in paths}
    seen: dict[Path, Path] = {}
    for p in paths:
        target = output if single_file else output / f"{p.stem}.png"
        if target.resolve() in inputs_resolved:
            problems.append(f"{p}: output {target} would overwrite an input; choose another -o")
            continue
        if target.resolve() in seen:
            problems.append(f"{p}: output {target} is also the output of {seen[target.resolve()]} (same stem)")
            continue
        if target.exists() and not overwrite:
            problems.append(f"{p}: output {target} exists (pass --overwrite to replace it)")
            continue
        seen[target.resolve()] = p
        pairs.append((p, target))
    return pairs, problems


def run_batch(
    pairs: list[tuple[Path, Path]],
    work: Callable[[Path, Path], None],
    description: str = "processing",
    show_progress: bool = True,
    expected_errors: tuple[type[BaseException], ...] = (ValueError, OSError),
) -> BatchResult:
    """Call ``work(input, output)`` for each pair; a failure is recorded and the batch goes on."""
    result = BatchResult()
    columns = (TextColumn(f"[bold]{description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not show_progress) as bar:
        task = bar.add_task(description, total=len(pairs))
        for src, dst in pairs:
            try:
                dst.parent.mkdir(parents=True, exist_ok=True)
                work(src, dst)
                result.written.append(dst)
            except expected_errors as e:
                msg = str(e).splitlines()[0] if str(e) else type(e).__name__
                result.failures.append(msg if msg.startswith(str(src)) else f"{src}: {msg}")
            bar.advance(task)
    return result
