"""Issue 7: every bad input gets one clear line and the right exit code; nothing is clobbered.

The inputs come from ``robustness_cases`` (also behind ``benchmarks/robustness_table.py``), each
made from scratch; the models are random nets a few channels wide. For each command a failure
must give exit 1 (2 for usage), exactly one line on stderr that names the file and the reason,
no traceback, and no output file; a batch still writes its good files.
"""
from __future__ import annotations

import errno
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.data.datasets import ImageFolder, SkippedImagesWarning
from ganapps.data.idx import read_idx
from ganapps.data.io import read_image
from robustness_cases import BAD, BAD_MODELS, GOOD, MODELS, SCALE, command, smooth
from conftest import make_idx_dataset

COMMANDS = ("translate", "upscale", "inpaint")
runner = CliRunner()


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("models")
    return {name: make(folder / f"{name}.safetensors") for name, make in MODELS.items()}


def invoke(args: list[str]):
    return runner.invoke(app, [str(a) for a in args])


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def files_under(folder: Path) -> list[Path]:
    """Every file, hidden temporaries included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_one_clear_line(result, code: int, *pieces: str) -> str:
    lines = error_lines(result)
    assert result.exit_code == code, result.output
    assert len(lines) == 1, result.stderr
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # nothing escaped the handlers
    assert "Traceback" not in result.output
    for piece in pieces:
        assert piece in lines[0], (piece, lines[0])
    return lines[0]


def _case_id(case) -> str:
    return case.name


# --------------------------------------------------------------------------- the input matrix
@pytest.mark.parametrize("case", BAD, ids=_case_id)
@pytest.mark.parametrize("cmd", COMMANDS)
def test_bad_image_is_one_line_naming_the_file_and_no_output(tmp_path: Path, models, cmd: str, case) -> None:
    src = case.make(tmp_path / "in")
    out = tmp_path / "out"
    result = invoke(command(cmd, models[cmd], [src], out))
    assert_one_clear_line(result, 1, f"failed: {src}", case.reason)
    assert files_under(out) == []


@pytest.mark.parametrize("case", GOOD, ids=_case_id)
@pytest.mark.parametrize("cmd", COMMANDS)
def test_awkward_but_valid_image_keeps_its_size_alpha_and_depth(tmp_path: Path, models, cmd: str, case) -> None:
    src = case.make(tmp_path / "in")
    out = tmp_path / "out"
    result = invoke(command(cmd, models[cmd], [src], out))
    if cmd in case.refused:
        assert_one_clear_line(result, 1, f"failed: {src}", case.refused[cmd])
        assert files_under(out) == []
        return
    assert result.exit_code == 0, result.output
    written = read_image(out / f"{src.stem}.png")
    h, w = case.size
    assert written.size == (h * SCALE[cmd], w * SCALE[cmd])
    assert (written.alpha is not None) == case.alpha
    assert written.bit_depth == case.depth


@pytest.mark.parametrize("cmd", COMMANDS)
def test_a_batch_writes_the_good_files_and_lists_each_bad_one(tmp_path: Path, models, cmd: str) -> None:
    folder = tmp_path / "in"
    bad = [case.make(folder) for case in BAD if case.name not in ("missing path", "folder with no images")]
    good = [GOOD[0].make(folder), GOOD[2].make(folder)]
    missing = BAD[0].make(tmp_path)
    result = invoke(command(cmd, models[cmd], [folder, missing], tmp_path / "out"))
    assert result.exit_code == 1, result.output
    lines = error_lines(result)
    assert len(lines) == len(bad) + 1 and all(line.startswith("failed: ") for line in lines), result.stderr
    for path in [*bad, missing]:
        assert sum(line.startswith(f"failed: {path}: ") for line in lines) == 1, path
    assert f"wrote {len(good)} images, {len(bad) + 1} failed" in result.stdout
    outputs = {p.name for p in files_under(tmp_path / "out")} - {f"{p.stem}_mask.png" for p in good}
    assert outputs == {f"{p.stem}.png" for p in good}


def test_decoder_complaints_on_stderr_are_silenced_by_the_cli(tmp_path: Path, models, capfd: pytest.CaptureFixture) -> None:
    """libpng writes to file descriptor 2 itself; capfd sees that, CliRunner would not."""
    from ganapps.data.io import ImageReadError
    from ganapps.data.native_stderr import silence

    garbage = next(c for c in BAD if "garbage" in c.name).make(tmp_path / "in")
    silence(False)
    with pytest.raises(ImageReadError):
        read_image(garbage)
    assert "libpng error" in capfd.readouterr().err  # the library alone: the complaint is there
    result = invoke(command("upscale", models["upscale"], [garbage], tmp_path / "out"))
    assert_one_clear_line(result, 1, f"failed: {garbage}: corrupt or truncated image data")
    assert "libpng" not in capfd.readouterr().err
    assert read_image(GOOD[0].make(tmp_path)).size == GOOD[0].size  # descriptor 2 works again
    os.write(2, b"still here\n")
    assert "still here" in capfd.readouterr().err


def test_pixel_limit_is_documented_overridable_and_checked(tmp_path: Path, models, monkeypatch: pytest.MonkeyPatch) -> None:
    src = GOOD[0].make(tmp_path / "in")  # 12×10 = 120 px
    out = tmp_path / "out"
    monkeypatch.setenv("GANAPPS_MAX_PIXELS", "100")
    r = invoke(command("upscale", models["upscale"], [src], out))
    assert_one_clear_line(r, 1, str(src), "12×10 is 120 px, over the 100 px limit", "GANAPPS_MAX_PIXELS")
    monkeypatch.setenv("GANAPPS_MAX_PIXELS", "120")
    assert invoke(command("upscale", models["upscale"], [src], out)).exit_code == 0
    monkeypatch.setenv("GANAPPS_MAX_PIXELS", "lots")
    r = invoke(command("upscale", models["upscale"], [src], tmp_path / "out2"))
    assert_one_clear_line(r, 1, "GANAPPS_MAX_PIXELS='lots'", "positive whole number")


def test_a_bomb_header_is_refused_before_anything_is_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ganapps.data.io as io_module
    from ganapps.data.io import ImageReadError

    bomb = next(c for c in BAD if "bomb" in c.name).make(tmp_path)

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded a file over the pixel limit")

    monkeypatch.setattr(io_module.cv2, "imdecode", no_decode)
    with pytest.raises(ImageReadError, match="50000×50000 is 2,500 MP, over the 100 MP limit"):
        read_image(bomb)


# ----------------------------------------------------------------------------------- masks
@pytest.mark.parametrize(
    ("kind", "reason"),
    [("all one", "covers the whole image"), ("zero-byte", "empty file (0 bytes)"), ("text", "not a recognised image")],
)
def test_unusable_mask_names_the_mask_and_writes_nothing(tmp_path: Path, models, kind: str, reason: str) -> None:
    face = tmp_path / "face.png"
    cv2.imwrite(str(face), smooth(30, 40))
    mask = tmp_path / "mask.png"
    if kind == "all one":
        cv2.imwrite(str(mask), np.full((30, 40), 255, np.uint8))
    else:
        mask.write_bytes(b"" if kind == "zero-byte" else b"not an image")
    result = invoke(command("inpaint", models["inpaint"], [face], tmp_path / "out", "--mask", mask))
    assert_one_clear_line(result, 1, f"failed: {face}: mask {mask}", reason)
    assert files_under(tmp_path / "out") == []


def test_a_failed_random_mask_fill_leaves_no_mask_file(tmp_path: Path, models) -> None:
    dot = next(c for c in GOOD if c.name == "1×1 image").make(tmp_path / "in")
    result = invoke(command("inpaint", models["inpaint"], [dot], tmp_path / "out"))
    assert result.exit_code == 1 and f"failed: {dot}" in result.output and "Traceback" not in result.output, result.output
    assert files_under(tmp_path / "out") == []


def test_a_hole_along_a_long_strip_is_filled_in_bounded_memory(models) -> None:
    import tracemalloc

    from ganapps.data.io import Image
    from ganapps.pipelines.inpaint import InpaintPipeline

    pipe = InpaintPipeline(models["inpaint"])
    rgb = np.random.default_rng(0).random((20, 10000, 3), dtype=np.float32)
    hole = np.zeros((20, 10000), bool)
    hole[5:15, 100:9900] = True  # longer than the image is high: the region is padded to a square
    tracemalloc.start()
    try:
        out = pipe(Image(rgb), hole)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6, f"{peak / 1e6:.0f} MB"  # unshrunk, the 10000×10000 square alone is 1.2 GB
    assert np.array_equal(out.rgb[~hole], rgb[~hole]) and not np.array_equal(out.rgb[hole], rgb[hole])


# --------------------------------------------------------------------------------- models
@pytest.mark.parametrize("case", BAD_MODELS, ids=_case_id)
@pytest.mark.parametrize("cmd", COMMANDS)
def test_bad_model_is_one_line_and_never_unpickled(tmp_path: Path, models, cmd: str, case) -> None:
    face = tmp_path / "face.png"
    cv2.imwrite(str(face), smooth(20, 24))
    model = case.make(tmp_path, cmd, models[cmd])
    result = invoke(command(cmd, model, [face], tmp_path / "out"))
    assert_one_clear_line(result, case.exit_code, "error: ", model, case.reason)
    assert files_under(tmp_path / "out") == []
    assert not (tmp_path / "UNPICKLED").exists()


def test_debug_shows_the_traceback_instead(tmp_path: Path, models) -> None:
    from ganapps.core.checkpoint import CheckpointError

    model = next(c for c in BAD_MODELS if c.name.startswith("raw pickle")).make(tmp_path, "upscale", models["upscale"])
    face = tmp_path / "face.png"
    cv2.imwrite(str(face), smooth(20, 24))
    result = invoke(["--debug", *command("upscale", model, [face], tmp_path / "out")])
    assert isinstance(result.exception, CheckpointError) and "PyTorch pickle file" in str(result.exception)
    assert not (tmp_path / "UNPICKLED").exists()


def test_the_pickle_payloads_are_live(tmp_path: Path, models) -> None:
    """The refusal above proves something only if unpickling these files would run their code."""
    import pickle

    raw = next(c for c in BAD_MODELS if c.name.startswith("raw pickle")).make(tmp_path, "upscale", models["upscale"])
    pickle.loads(Path(raw).read_bytes())
    assert (tmp_path / "UNPICKLED").exists()


# ------------------------------------------------------------------------- never clobber
@pytest.mark.parametrize("cmd", COMMANDS)
def test_existing_output_is_kept_without_overwrite(tmp_path: Path, models, cmd: str) -> None:
    face = tmp_path / "in" / "face.png"
    face.parent.mkdir()
    cv2.imwrite(str(face), smooth(20, 24))
    target = tmp_path / "out" / "face.png"
    target.parent.mkdir()
    target.write_bytes(b"precious")
    result = invoke(command(cmd, models[cmd], [face], tmp_path / "out"))
    assert_one_clear_line(result, 1, f"failed: {face}", f"output {target} exists (pass --overwrite")
    assert target.read_bytes() == b"precious"
    assert invoke(command(cmd, models[cmd], [face], tmp_path / "out", "--overwrite")).exit_code == 0
    assert read_image(target).size == (20 * SCALE[cmd], 24 * SCALE[cmd])


def test_generate_and_export_keep_existing_outputs_without_overwrite(tmp_path: Path, dcgan_weights: Path) -> None:
    grid, sample, exported = tmp_path / "grid.png", tmp_path / "samples" / "0_00001.png", tmp_path / "g.pt"
    sample.parent.mkdir()
    for path in (grid, sample, exported):
        path.write_bytes(b"precious")
    runs = {
        grid: ["generate", "--model", dcgan_weights, "-n", 4, "-o", grid],
        sample: ["generate", "--model", dcgan_weights, "-n", 4, "--out-dir", sample.parent],
        exported: ["export", dcgan_weights, "--format", "torchscript", "-o", exported],
    }
    for path, args in runs.items():
        assert_one_clear_line(invoke(args), 2, f"{path} exists", "--overwrite")
        assert path.read_bytes() == b"precious"
    assert [p.name for p in files_under(sample.parent)] == [sample.name]  # nothing half-done either
    for path, args in runs.items():
        assert invoke([*args, "--overwrite"]).exit_code == 0 and path.read_bytes() != b"precious"


@pytest.mark.parametrize("cmd", COMMANDS)
def test_output_may_never_be_an_input(tmp_path: Path, models, cmd: str) -> None:
    face = tmp_path / "face.png"
    cv2.imwrite(str(face), smooth(20, 24))
    before = face.read_bytes()
    for out in (face, tmp_path):  # the same file, and the input's own folder
        result = invoke(command(cmd, models[cmd], [face], out, "--overwrite"))
        assert_one_clear_line(result, 1, f"failed: {face}", "would overwrite an input")
    assert face.read_bytes() == before


@pytest.mark.parametrize("cmd", COMMANDS)
def test_unwritable_output_location_is_one_usage_error(tmp_path: Path, models, cmd: str) -> None:
    face = tmp_path / "face.png"
    cv2.imwrite(str(face), smooth(20, 24))
    blocker = tmp_path / "somefile"
    blocker.write_text("a file where the output folder would go")
    for out in (blocker / "out", blocker / "out.png"):
        result = invoke(command(cmd, models[cmd], [face], out))
        assert_one_clear_line(result, 2, f"-o {out}", f"{blocker} is a file, not a folder")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_output_folder_is_one_usage_error(tmp_path: Path, models) -> None:
    face = tmp_path / "face.png"
    cv2.imwrite(str(face), smooth(20, 24))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = invoke(command("upscale", models["upscale"], [face], locked / "out"))
        assert_one_clear_line(result, 2, f"no permission to write in {locked}")
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_disk_full_is_one_line_per_file_and_leaves_no_partial_file(
    tmp_path: Path, models, cmd: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    face = tmp_path / "in" / "face.png"
    face.parent.mkdir()
    cv2.imwrite(str(face), smooth(20, 24))
    written: list[int] = []

    def full(fd: int) -> None:  # the bytes are in the temporary file; the disk refuses to keep them
        written.append(os.fstat(fd).st_size)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    result = invoke(command(cmd, models[cmd], [face], tmp_path / "out"))
    monkeypatch.undo()
    assert written and written[0] > 0
    assert_one_clear_line(result, 1, f"failed: {face}: cannot write {tmp_path / 'out'}", "No space left on device")
    assert files_under(tmp_path / "out") == []


# ---------------------------------------------------------------------- training data loading
@pytest.mark.parametrize("case", [c for c in BAD if c.name not in ("missing path", "folder with no images")] + GOOD, ids=_case_id)
def test_dataset_skips_each_unreadable_file_with_one_warning(tmp_path: Path, case) -> None:
    cv2.imwrite(str(tmp_path / "good.png"), smooth(20, 20))
    path = case.make(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = ImageFolder(tmp_path, 16)
    assert dataset[len(dataset) - 1].shape == (3, 16, 16)
    skipped = [w for w in caught if issubclass(w.category, SkippedImagesWarning)]  # not Pillow's own
    if case.reason is None:
        assert len(dataset) == 2 and not skipped
    else:
        assert len(dataset) == 1 and len(skipped) == 1
        assert f"{path}: " in str(skipped[0].message) and case.reason in str(skipped[0].message)


def _bad_folder(folder: Path) -> list[Path]:
    return [c.make(folder) for c in BAD if c.name not in ("missing path", "folder with no images")]


@pytest.mark.parametrize("head", ["inpaint", "srresnet"])
def test_train_skips_bad_files_with_one_warning_line_or_fails_clearly(tmp_path: Path, head: str) -> None:
    args = {
        "inpaint": ["--size", 16, "--width", 4, "--batch-size", 2],
        "srresnet": ["--scale", 2, "--crop", 8, "--batch-size", 2],
    }[head]
    common = ["--iters", 1, "--device", "cpu", "--precision", "fp32"]
    bad = _bad_folder(tmp_path / "only-bad")
    r = invoke(["train", head, "--data", tmp_path / "only-bad", "--out", tmp_path / "run0", *args, *common])
    assert_one_clear_line(r, 1, "error: ", f"{len(bad)} unreadable", str(sorted(bad)[0]))

    mixed = tmp_path / "mixed"
    bad = _bad_folder(mixed)
    for i in range(2):
        cv2.imwrite(str(mixed / f"photo{i}.png"), smooth(24, 24, seed=i))
    r = invoke(["train", head, "--data", mixed, "--out", tmp_path / "run1", *args, *common])
    assert r.exit_code == 0, r.output
    lines = error_lines(r)
    assert len(lines) == 1 and lines[0].startswith(f"warning: skipped {len(bad)} unreadable file(s)"), r.stderr
    assert all(str(p) in lines[0] for p in bad)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda raw: raw[: len(raw) // 2], "cannot read IDX file"),
        (lambda raw: raw[:20] + bytes(b ^ 0x55 for b in raw[20:60]) + raw[60:], "cannot read IDX file"),  # bad deflate
        (lambda raw: b"", "not an IDX file"),
        (lambda raw: b"these are not images", "cannot read IDX file"),
    ],
    ids=["truncated gzip", "corrupt gzip stream", "zero-byte", "not gzip"],
)
def test_train_dcgan_names_a_damaged_idx_file(tmp_path: Path, damage, reason: str) -> None:
    data = make_idx_dataset(tmp_path / "idx", n_train=16, n_test=4)
    images = data / "train-images-idx3-ubyte.gz"
    images.write_bytes(damage(images.read_bytes()))
    with pytest.raises(ValueError, match=reason):
        read_idx(images)
    r = invoke(["train", "dcgan", "--data", data, "--out", tmp_path / "run", "--iters", 1, "--device", "cpu"])
    assert_one_clear_line(r, 1, f"error: {images}: {reason}")
    assert not (tmp_path / "run").exists()


def test_divergence_before_any_checkpoint_says_so(tmp_path: Path, idx_data: Path) -> None:
    """The kept-checkpoint case is tests/test_trainer.py's; here no checkpoint exists yet, and the
    message must not claim one is kept."""
    from ganapps.core.trainer import CHECKPOINT, TrainConfig, Trainer, TrainingDiverged
    from ganapps.data.idx import IDXImages
    from ganapps.tasks.dcgan import DCGANConfig, DCGANTask

    task = DCGANTask(DCGANConfig(nz=8, ngf=4, ndf=4, samples=4))
    original = task.g_loss
    task.g_loss = lambda batch, fake: (original(batch, fake)[0] * float("nan"), {})
    cfg = TrainConfig(out=tmp_path / "run", iters=4, batch_size=32, progress=False, precision="fp32")
    with pytest.raises(TrainingDiverged, match=r"at step 1; no checkpoint had been written yet\. Try a lower"):
        Trainer(task, IDXImages(idx_data), cfg).fit()
    assert not (tmp_path / "run" / CHECKPOINT).exists()
