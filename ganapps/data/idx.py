"""The IDX format of MNIST and Fashion-MNIST (``train-images-idx3-ubyte.gz`` and friends).

Format (LeCun et al.): big-endian magic ``0x0000 TYPE NDIM``, then NDIM uint32 sizes, then data.
We accept the files gzipped or plain, and check sizes so a truncated download is a clear error.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
SPLITS = {"train": "train", "test": "t10k"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (optionally ``.gz``) into a numpy array of its declared shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:  # zlib.error: a corrupt gzip stream
        raise ValueError(f"{path}: cannot read IDX file ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: IDX file is {len(raw)} bytes, its header declares {expected} (truncated?)")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as IDX (gzipped if the name ends in .gz); used to make test data."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def _find(root: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (root / name).exists():
            return root / name
    raise FileNotFoundError(f"{root}: no {stem}.gz (expected the MNIST/Fashion-MNIST IDX files)")


class IDXImages(Dataset):
    """MNIST-style images and labels held in memory; items are ``(image in [-1, 1], label)``."""

    def __init__(self, root: str | Path, split: str = "train"):
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no such data folder")
        if split not in SPLITS:
            raise ValueError(f"split must be 'train' or 'test', not {split!r}")
        prefix = SPLITS[split]
        images = read_idx(_find(root, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_find(root, f"{prefix}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{root}: images {images.shape} and labels {labels.shape} do not match")
        self.images = torch.from_numpy(images.copy()).unsqueeze(1)  # N×1×H×W uint8
        self.labels = torch.from_numpy(labels.astype(np.int64))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[i].float() / 127.5 - 1.0, self.labels[i]

    def float_images(self, index: torch.Tensor | None = None) -> torch.Tensor:
        """All (or the indexed) images at once, as floats in [-1, 1]."""
        images = self.images if index is None else self.images[index]
        return images.float() / 127.5 - 1.0
