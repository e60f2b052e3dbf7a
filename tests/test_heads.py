"""The head registry: ``ganapps train NAME`` is generated from each head's declaration."""
from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ganapps.tasks as tasks
from ganapps.cli import app
from ganapps.errors import UsageError
from ganapps.tasks.head import Head, Schedule, flags_of, from_flags, option

runner = CliRunner()


@dataclass
class ToyConfig:
    width: int = option(8, "Net width.")
    loss: str = option("hinge", "GAN loss.", choices=("hinge", "lsgan"))
    lr: float = 1e-3  # not a flag: the paper's value stays


@dataclass
class ToyInputs:
    data: Path = option(..., "Where the toy data is.")
    fast: bool = option(False, "Read fast.", flag="--fast/--slow")


def _toy_build(config: ToyConfig, inputs: ToyInputs, seed: int, batch_size: int):
    raise UsageError(f"built width={config.width} loss={config.loss} lr={config.lr} data={inputs.data.name} "
                     f"fast={inputs.fast} seed={seed} batch={batch_size}")  # fmt: skip


@pytest.fixture
def toy_head(monkeypatch):
    """A new head: one module with its HEAD, and one registry line."""
    module = types.ModuleType("toy_head_module")
    module.HEAD = Head("toy", "A toy head.", ToyConfig, ToyInputs, _toy_build, lambda c: Schedule(epochs=3, batch_size=5))
    monkeypatch.setitem(sys.modules, "toy_head_module", module)
    monkeypatch.setitem(tasks.HEADS, "toy", "toy_head_module:HEAD")


def test_option_fields_are_the_flags_and_the_rest_keep_their_defaults() -> None:
    assert [(f.flag, f.default) for f in flags_of(ToyConfig)] == [("--width", 8), ("--loss", "hinge")]
    assert from_flags(ToyConfig, {"width": 3, "loss": "lsgan"}) == ToyConfig(width=3, loss="lsgan", lr=1e-3)
    with pytest.raises(UsageError, match=r"--loss must be one of hinge, lsgan, not 'wgan'"):
        from_flags(ToyConfig, {"width": 3, "loss": "wgan"})


def test_a_new_head_is_one_registry_line(toy_head, tmp_path: Path) -> None:
    listing = runner.invoke(app, ["train", "--help"])
    assert listing.exit_code == 0 and "toy" in listing.output and "A toy head." in listing.output
    r = runner.invoke(app, ["train", "toy", "--data", str(tmp_path / "d"), "--out", str(tmp_path / "run"),
                            "--width", "16", "--fast", "--seed", "3"])  # fmt: skip
    assert r.exit_code == 2
    assert "built width=16 loss=hinge lr=0.001 data=d fast=True seed=3 batch=5" in r.output  # the schedule's batch


def test_a_head_flag_outside_its_choices_is_a_usage_error(toy_head, tmp_path: Path) -> None:
    r = runner.invoke(app, ["train", "toy", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--loss", "wgan"])
    assert r.exit_code == 2 and "--loss must be one of hinge, lsgan" in r.output and "built" not in r.output


@pytest.mark.parametrize("name", sorted(tasks.HEADS))
def test_every_registered_head_has_its_command_and_flags(name: str) -> None:
    head = tasks.load_head(name)
    r = runner.invoke(app, ["train", name, "--help"], terminal_width=200)
    assert r.exit_code == 0, r.output
    for f in flags_of(head.config) + flags_of(head.inputs):
        assert f.flag.split("/")[0] in r.output, (name, f.flag)
    assert "--resume" in r.output and "--init" in r.output and "--batch-size" in r.output


def test_the_run_records_the_heads_config_and_inputs(idx_data: Path, tmp_path: Path) -> None:
    """What --resume compares: the head's config (completed by build) and its inputs, from the flags."""
    run = tmp_path / "run"
    r = runner.invoke(app, ["train", "dcgan", "--data", str(idx_data), "--out", str(run), "--iters", "1",
                            "--batch-size", "8", "--loss", "wgan-gp", "--device", "cpu", "--precision", "fp32"])  # fmt: skip
    assert r.exit_code == 0, r.output
    recorded = json.loads((run / "run.json").read_text())
    assert recorded["extra"]["dcgan"]["loss"] == "wgan-gp" and recorded["extra"]["data"] == str(idx_data)
    assert recorded["d_steps"] == 5 and recorded["batch_size"] == 8  # WGAN-GP's schedule, the flag's batch
    again = runner.invoke(app, ["train", "dcgan", "--data", str(idx_data), "--out", str(run), "--iters", "2",
                                "--batch-size", "16", "--loss", "wgan-gp", "--device", "cpu", "--resume"])  # fmt: skip
    assert again.exit_code == 1 and "batch_size 8 → 16" in again.output
