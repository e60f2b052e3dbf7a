"""The notebooks in examples/notebooks/ run, top to bottom, on a tiny budget: they cannot rot."""
from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from conftest import make_idx_dataset  # noqa: E402 - after the skips: a fresh install without the test extra

NOTEBOOKS = Path(__file__).resolve().parents[1] / "examples" / "notebooks"


def run(name: str, params: dict[str, object], cwd: Path) -> nbformat.NotebookNode:
    """Execute a notebook with its ``parameters`` cell replaced by ``params`` (papermill's convention)."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    [cell] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    cell.source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def outputs(nb: nbformat.NotebookNode) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_the_dcgan_tutorial_runs(tmp_path: Path) -> None:
    data = make_idx_dataset(tmp_path / "fmnist")
    nb = run("dcgan_tutorial.ipynb", {"DATA": str(data), "OUT": str(tmp_path / "run"), "FAST": True}, tmp_path)
    text = outputs(nb)
    assert "D accuracy on real" in text and "30 steps" in text
    assert (tmp_path / "run" / "training.gif").exists()


def test_the_toy_gan_notebook_runs(tmp_path: Path) -> None:
    nb = run("toy_gan.ipynb", {"EPOCHS": 30, "SEED": 0}, tmp_path)
    text = outputs(nb)
    assert "def d_step" in text and "D accuracy over the last epochs" in text
