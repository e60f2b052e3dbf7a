"""Shared fixtures: tiny synthetic datasets and model files the tests make themselves."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ganapps.core.checkpoint import save_weights
from ganapps.data.idx import write_idx
from ganapps.nets import spec_of
from ganapps.nets.dcgan import DCGANGenerator, DCGANGeneratorConfig


def make_idx_dataset(folder: Path, n_train: int = 256, n_test: int = 64, seed: int = 0) -> Path:
    """A tiny MNIST-style dataset: bright blobs whose position encodes one of 10 classes."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:28, 0:28]
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        cy, cx = 6 + 4 * (labels // 5)[:, None, None] * 3, 4 + 4 * (labels % 5)[:, None, None]
        blobs = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0) * 255
        images = np.clip(blobs + rng.normal(0, 10, (n, 28, 28)), 0, 255).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


@pytest.fixture
def idx_data(tmp_path: Path) -> Path:
    return make_idx_dataset(tmp_path / "fmnist")


@pytest.fixture
def dcgan_weights(tmp_path: Path) -> Path:
    """A randomly initialised small DCGAN generator saved as a ganapps weights file."""
    torch.manual_seed(0)
    g = DCGANGenerator(DCGANGeneratorConfig(nz=16, ngf=8)).eval()
    path = tmp_path / "dcgan.safetensors"
    save_weights(path, g, spec_of(g) | {"task": "generate"})
    return path


@pytest.fixture(scope="module")
def one_thread():
    """Nets a few channels wide run fastest on one thread (and leave the other core to other jobs);
    a test module opts in with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class FunctionNet(torch.nn.Module):
    """A stand-in net computing ``fn(x)``: its one parameter gives it the device that validators read."""

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn
        self.w = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x) + self.w


@pytest.fixture
def function_net():
    """:class:`FunctionNet`, for tests that score a net whose output they know."""
    return FunctionNet
