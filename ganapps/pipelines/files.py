"""Batch processing of user files: map inputs to outputs, keep going past bad files, list failures.

Shared by ``translate``, ``upscale`` and ``inpaint``: one image per input with the input's stem in
an output folder (PNG, or ``--format``), or ``-o FILE`` (``.png``, ``.jpg``, ...) for a single
input. An existing output is never overwritten without ``overwrite=True``, an output may never be
one of the inputs, and each output is written atomically by the per-file function (see
:func:`ganapps.data.io.write_image`).

A job given as :class:`Stages` (read, run, write) is pipelined: one helper thread decodes the next
inputs and encodes the previous outputs while the model runs on the calling thread. OpenCV's
decoders and PNG's zlib release the GIL, so on a GPU the CPU work hides behind the model; on a CPU
it competes with the model for cores, but still fills the model's single-threaded stretches.
"""
from __future__ import annotations

import functools
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ganapps.data.io import OUTPUT_FORMATS, expand_inputs


class OutputPlanError(ValueError):
    """The inputs and ``-o`` cannot be mapped to outputs (a usage error)."""


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line each: "path: reason"
    notes: list[str] = field(default_factory=list)  # what outputs' formats dropped, one reason per file
    model_seconds: float = 0.0  # time in :attr:`Stages.run` (model only), for img/s reports


@dataclass(frozen=True)
class Stages:
    """A per-file job split so that :func:`run_batch` can overlap decoding and encoding with the
    model. ``run`` maps a list of up to ``batch_size`` decoded inputs to one result each."""

    read: Callable[[Path], Any]
    run: Callable[[list[Any]], list[Any]]
    write: Callable[[Path, Any], list[str] | None]  # returns notes on what the output format dropped
    batch_size: int = 1


def check_writable(folder: Path, output: Path) -> None:
    """An :class:`OutputPlanError` unless ``folder`` is, or can be created as, a folder we may write
    in: checked once, before any work, rather than failing the batch file by file."""
    probe = folder
    while not probe.exists() and probe != probe.parent:  # the nearest existing ancestor
        probe = probe.parent
    if not probe.is_dir():
        raise OutputPlanError(f"-o {output}: cannot write there, {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputPlanError(f"-o {output}: cannot write there, no permission to write in {probe}")


def plan_outputs(
    inputs: list[str], output: Path, overwrite: bool = False, fmt: str | None = None
) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Expand ``inputs`` and pair each image with its output path; returns (pairs, problems).

    ``output`` is a file whose name says the format (``photo.jpg``) for one input, or a folder,
    where each output is ``STEM.<fmt>`` (PNG unless ``fmt`` names another format)."""
    paths, problems = expand_inputs(inputs)
    if not paths and not problems:
        raise OutputPlanError("no input given")
    single_file = output.suffix.lower() in OUTPUT_FORMATS and not output.is_dir()
    if single_file and len(paths) + len(problems) > 1:
        raise OutputPlanError(f"-o {output} names one file, but {len(paths) + len(problems)} inputs were given; use a folder")
    if not single_file and output.suffix and not output.is_dir():
        raise OutputPlanError(f"-o {output}: not an image name we write (.png, .jpg, .webp, .tif, .bmp) nor a folder")
    if single_file and fmt is not None:
        raise OutputPlanError(f"-o {output} names the format; --format is for output folders")
    suffix = "." + (fmt or "png").lower().lstrip(".")
    if suffix not in OUTPUT_FORMATS:
        raise OutputPlanError(f"--format {fmt}: use png, jpg, webp, tif or bmp")
    check_writable(output.parent if single_file else output, output)
    pairs: list[tuple[Path, Path]] = []
    inputs_resolved = {p.resolve() for p in paths}
    seen: dict[Path, Path] = {}
    for p in paths:
        target = output if single_file else output / f"{p.stem}{suffix}"
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


def _failure(src: Path, e: BaseException) -> str:
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return msg if msg.startswith(str(src)) else f"{src}: {msg}"


def run_batch(
    pairs: list[tuple[Path, Path]],
    work: Callable[[Path, Path], None] | Stages,
    description: str = "processing",
    show_progress: bool = True,
    expected_errors: tuple[type[BaseException], ...] = (ValueError, OSError),
) -> BatchResult:
    """Call ``work(input, output)`` for each pair, or run its :class:`Stages` pipelined; a failure
    (one of ``expected_errors``) is recorded against its input and the batch goes on. Results and
    failures are listed in input order either way."""
    columns = (TextColumn(f"[bold]{description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not show_progress) as bar:
        task = bar.add_task(description, total=len(pairs))
        advance = functools.partial(bar.advance, task)
        if isinstance(work, Stages):
            return _run_stages(pairs, work, expected_errors, advance)
        result = BatchResult()
        for src, dst in pairs:
            try:
                dst.parent.mkdir(parents=True, exist_ok=True)
                result.notes += work(src, dst) or []
                result.written.append(dst)
            except expected_errors as e:
                result.failures.append(_failure(src, e))
            advance()
    return result


def _run_stages(
    pairs: list[tuple[Path, Path]], stages: Stages, expected: tuple[type[BaseException], ...], advance: Callable[[], None]
) -> BatchResult:
    """Group ``k`` runs on this thread while one helper thread has already decoded group ``k + 1``
    and encodes group ``k - 1``. Writes are awaited one group behind, so at most two groups of
    results are held in memory however slow the disk."""
    outcome: dict[int, Path | str] = {}  # pair index → written output, or failure line
    notes: list[str] = []
    model_seconds = 0.0

    def read_group(indices: range) -> list[tuple[int, Any]]:
        decoded = []
        for i in indices:
            try:
                decoded.append((i, stages.read(pairs[i][0])))
            except expected as e:
                outcome[i] = _failure(pairs[i][0], e)
        return decoded

    def write(i: int, result: Any) -> None:
        dst = pairs[i][1]
        dst.parent.mkdir(parents=True, exist_ok=True)
        return stages.write(dst, result) or []

    def settle(writes: list[tuple[int, Future]]) -> None:
        for i, future in writes:
            try:
                notes.extend(future.result())
                outcome[i] = pairs[i][1]
            except expected as e:
                outcome[i] = _failure(pairs[i][0], e)
            advance()

    groups = [range(k, min(k + stages.batch_size, len(pairs))) for k in range(0, len(pairs), stages.batch_size)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ganapps-io") as io:
        reading = io.submit(read_group, groups[0]) if groups else None
        writing: list[tuple[int, Future]] = []
        for k, group in enumerate(groups):
            decoded = reading.result()
            if k + 1 < len(groups):
                reading = io.submit(read_group, groups[k + 1])
            for _ in range(len(group) - len(decoded)):
                advance()  # unreadable inputs
            t0 = time.perf_counter()
            results, failures = _run_isolating(stages.run, decoded, expected, pairs)
            model_seconds += time.perf_counter() - t0
            for i, line in failures:
                outcome[i] = line
                advance()
            settle(writing)
            writing = [(i, io.submit(write, i, result)) for i, result in results]
        settle(writing)
    result = BatchResult(notes=notes, model_seconds=model_seconds)
    for i in sorted(outcome):
        (result.written if isinstance(outcome[i], Path) else result.failures).append(outcome[i])
    return result


def _run_isolating(
    run: Callable[[list[Any]], list[Any]], decoded: list[tuple[int, Any]], expected: tuple[type[BaseException], ...],
    pairs: list[tuple[Path, Path]],
) -> tuple[list[tuple[int, Any]], list[tuple[int, str]]]:
    """``run`` on the whole group, or, if that fails, on each input alone, so that one bad input is
    reported against itself and does not take its batch-mates down: (results, failure lines)."""
    if not decoded:
        return [], []
    try:
        return list(zip((i for i, _ in decoded), run([item for _, item in decoded]))), []
    except expected as e:
        if len(decoded) == 1:
            return [], [(decoded[0][0], _failure(pairs[decoded[0][0]][0], e))]
    results, failures = [], []
    for d in decoded:
        r, f = _run_isolating(run, [d], expected, pairs)
        results += r
        failures += f
    return results, failures
