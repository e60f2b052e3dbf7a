"""Image-to-image datasets in the layouts users already have, as deterministic tensors.

* :class:`UnalignedDataset`: ``trainA/ trainB/ testA/ testB/`` folders of unpaired photos (CycleGAN).
* :class:`AlignedDataset`: ``train/ val/ test/`` where each file holds A and B side by side (pix2pix).
* :class:`ImageFolder`: a plain folder of photos; :class:`SketchPairs` pairs each with its drawing.

Every item is a fixed-size float tensor in [-1, 1] at the *load size* (the shorter side resized to
it, the centre square kept). Items are a pure function of the index: the random crop and flip of
the papers are applied by the task to whole batches (kornia, global torch RNG), so the trainer's
exact resume, which replays the torch RNG and the sampler's order, also replays the augmentation.

Every file is decoded once when a dataset is built; files that cannot be read are left out with
one warning that lists them all, rather than stopping a long run at the first bad JPEG.
"""
from __future__ import annotations

import random
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .io import IMAGE_SUFFIXES, ImageReadError, read_image, to_tensor
from .sketch import photo_to_sketch, schematic_face, varied_sketch

DIRECTIONS = ("AtoB", "BtoA")
VAL_PER_DOMAIN = 50  # training images per domain held out for validation by default
SCHEMATIC_SHARE = 0.15  # training drawings of faces drawn as people draw "a face" (SketchPairs)
PLAIN_SHARE = 0.35  # training drawings left as plain XDoG: the kind evaluation and --sketch inputs give


class SkippedImagesWarning(UserWarning):
    """Some files of a dataset could not be read and were left out."""


def load_size_for(image_size: int) -> int:
    """The papers' load size before the random crop: 286 for 256, i.e. about 12% larger."""
    return round(image_size * 286 / 256)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder``, sorted by name; a missing folder is an error."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    return sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)


def _problem(path: Path) -> str | None:
    try:
        read_image(path)
    except ImageReadError as e:
        return str(e)
    return None


def readable(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Decode every file (a few threads: OpenCV releases the GIL); return (good paths, problems)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = list(pool.map(_problem, paths))
    return [p for p, e in zip(paths, problems) if e is None], [e for e in problems if e is not None]


def warn_skipped(problems: list[str]) -> None:
    """One warning for all the unreadable files of a dataset."""
    if problems:
        listing = "; ".join(problems)
        warnings.warn(f"skipped {len(problems)} unreadable file(s): {listing}", SkippedImagesWarning, stacklevel=3)


def _usable(folder: Path, problems: list[str]) -> list[Path]:
    good, bad = readable(list_images(folder))
    problems.extend(bad)
    if not good:
        raise ValueError(f"{folder}: no readable images" + (f" ({len(bad)} unreadable; first: {bad[0]})" if bad else ""))
    return good


def resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area averaging to shrink (no aliasing), bicubic to enlarge; clipped back to [0, 1]."""
    if (rgb.shape[1], rgb.shape[0]) == (width, height):
        return rgb
    shrink = width * height < rgb.shape[0] * rgb.shape[1]
    out = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return np.clip(out.reshape(height, width, -1) if rgb.ndim == 3 else out, 0, 1)


def fit_square(rgb: np.ndarray, size: int, where: float = 0.5) -> np.ndarray:
    """Resize the shorter side to ``size`` and keep a ``size``×``size`` square: the centre one, or
    the one at ``where`` along the longer side (0: top or left end, 1: bottom or right end).

    >>> a = np.arange(12.0).reshape(4, 3, 1)  # 4 rows, 3 columns
    >>> fit_square(a, 3)[:, 0, 0].tolist(), fit_square(a, 3, where=1.0)[:, 0, 0].tolist()
    ([0.0, 3.0, 6.0], [3.0, 6.0, 9.0])
    """
    h, w = rgb.shape[:2]
    scale = size / min(h, w)
    rgb = resize(rgb, max(size, round(w * scale)), max(size, round(h * scale)))
    top, left = round((rgb.shape[0] - size) * where - 1e-9), round((rgb.shape[1] - size) * where - 1e-9)
    return rgb[top : top + size, left : left + size]


def _load(path: Path, size: int, where: float = 0.5) -> np.ndarray:
    return fit_square(read_image(path).rgb, size, where)


def _tensor(rgb: np.ndarray) -> Tensor:
    return to_tensor(rgb)[0]


def fixed_batch(dataset: Dataset, n: int) -> dict[str, Tensor] | Tensor:
    """``n`` items at evenly spaced indices, stacked: fixed inputs for the per-epoch sample grids.
    Dict items (pairs) give a dict of stacks, tensor items (:class:`ImageFolder`) one stack."""
    idx = np.linspace(0, len(dataset) - 1, min(n, len(dataset))).round().astype(int)
    items = [dataset[int(i)] for i in idx]
    if isinstance(items[0], Tensor):
        return torch.stack(items)
    return {k: torch.stack([item[k] for item in items]) for k in items[0]}


class ImageFolder(Dataset):
    """A folder of photos → tensors 3×S×S in [-1, 1] (S = ``load_size``): each photo's shorter side
    resized to S and its centre square, or with ``random_crop`` a square anywhere along the longer
    side (drawn from torch's global RNG, which the trainer seeds and checkpoints), so that training
    sees the whole frame: a portrait's top and bottom too, not only its middle."""

    def __init__(self, folder: str | Path, load_size: int, random_crop: bool = False):
        problems: list[str] = []
        self.files = _usable(Path(folder), problems)
        warn_skipped(problems)
        self.load_size, self.random_crop = load_size, random_crop

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> Tensor:
        where = torch.rand(()).item() if self.random_crop else 0.5
        return _tensor(_load(self.files[i], self.load_size, where))

    def stack(self, files: list[Path]) -> Tensor:
        """``files`` (e.g. the validation split :func:`holdout` took from this folder) as one
        N×3×S×S stack, loaded as this folder's items are."""
        return torch.stack([_tensor(_load(f, self.load_size)) for f in files])


class SketchPairs(Dataset):
    """A folder of photos → ``{"A": its line drawing (3 equal channels), "B": the photo}``.

    ``varied=True`` (training) draws each photo at its own level of detail and pen width
    (:func:`~ganapps.data.sketch.varied_sketch`, seeded by the index), a ``SCHEMATIC_SHARE``
    of them as a person draws "a face" (:func:`~ganapps.data.sketch.schematic_face`: aligned
    faces only) and a ``PLAIN_SHARE`` as the plain XDoG drawing that evaluation uses. Without that
    share a model trained on thin varied lines only met XDoG's filled hair and shadows at
    evaluation: at 96 px, 4 epochs in, 12.6 dB / SSIM 0.42 on held-out XDoG drawings where the
    shipped model, trained on XDoG alone, gives 16.5 dB / 0.569."""

    def __init__(self, folder: str | Path, load_size: int, varied: bool = False, val: int = 0):
        self.photos = ImageFolder(folder, load_size)
        self.photos.files, self.val_files = holdout(self.photos.files, val)
        self.varied = varied

    @staticmethod
    def pair(path: Path, size: int) -> dict[str, Tensor]:
        """A held-out photo and its plain drawing, ``size`` px centre squares (validation)."""
        photo = _load(path, size)
        return {"A": _tensor(np.repeat(photo_to_sketch(photo)[:, :, None], 3, axis=2)), "B": _tensor(photo)}

    def __len__(self) -> int:
        return len(self.photos)

    def _kind(self, rng: np.random.Generator) -> str:
        """plain | schematic | varied: which drawing an item gets (``rng`` is seeded by its index)."""
        if not self.varied:
            return "plain"
        u = rng.random()
        return "schematic" if u < SCHEMATIC_SHARE else "plain" if u < SCHEMATIC_SHARE + PLAIN_SHARE else "varied"

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        rgb, size = read_image(self.photos.files[i]).rgb, self.photos.load_size
        photo = fit_square(rgb, size)
        rng = np.random.default_rng(i)
        kind = self._kind(rng)
        if kind == "plain":
            drawing = photo_to_sketch(photo)
        elif kind == "schematic":  # drawn in the photo's own frame, then cropped as the photo is
            drawing = fit_square(schematic_face(*rgb.shape[:2], rng)[:, :, None], size)[:, :, 0]
        else:
            drawing = varied_sketch(photo, rng)
        sketch = np.repeat(drawing[:, :, None], 3, axis=2)
        return {"A": _tensor(sketch), "B": _tensor(photo)}


def schematic_drawings(n: int, size: int, seed: int = 1_000_000) -> Tensor:
    """``n`` people's drawings of "a face" (:func:`~ganapps.data.sketch.schematic_face`) in the
    aligned faces' frame, ``size`` px centre squares as N×3×S×S in [-1, 1]: a fixed set (seeds from
    ``seed``, apart from training's per-index seeds) to check what a drawing → face model makes of them.

    >>> d = schematic_drawings(2, 32)
    >>> d.shape, bool(torch.equal(d, schematic_drawings(2, 32)))
    (torch.Size([2, 3, 32, 32]), True)
    """
    drawings = [fit_square(schematic_face(109, 89, np.random.default_rng(seed + i))[:, :, None], size) for i in range(n)]
    return torch.stack([_tensor(np.repeat(d, 3, axis=2)) for d in drawings])


def holdout(files: list[Path], n: int, masks: Path | None = None) -> tuple[list[Path], list[Path]]:
    """Split ``files`` into (training, validation) with ``n`` validation files, at most a tenth.

    The validation files are drawn, by a fixed seed that no training flag changes, from those with
    a mask of the same name in ``masks`` (when that folder exists), so the background figures can
    be measured on them; the same folder always gives the same split, whatever run uses it.

    >>> train, val = holdout([Path(f"{i}.jpg") for i in range(40)], 3)
    >>> len(train), len(val), set(train) & set(val)
    (37, 3, set())
    >>> len(holdout([Path(f"{i}.jpg") for i in range(25)], 50)[1])  # a tenth of a small folder
    2
    """
    candidates = [f for f in files if (masks / f.name).is_file()] if masks is not None and masks.is_dir() else files
    n = min(n, len(candidates), len(files) // 10)
    if n <= 0:
        return files, []
    val = set(random.Random(0).sample(sorted(candidates), n))
    return [f for f in files if f not in val], sorted(val)


def read_mask(path: Path, size: int) -> np.ndarray:
    """A foreground mask file (bright = foreground) → boolean ``size``×``size``, framed as
    :func:`fit_square` frames the photo."""
    return fit_square(read_image(path).rgb, size).mean(axis=2) > 0.5


class UnalignedDataset(Dataset):
    """``{split}A/`` and ``{split}B/`` folders → ``{"A": image, "B": image}`` pairs.

    Length is the larger domain's count: item ``i`` takes A image ``i mod nA`` and B image
    ``order[i mod nB]``, with ``order`` a permutation of B fixed by ``seed``. Since the trainer
    visits ``i`` in a fresh order each epoch, every image of the larger domain is seen once per
    epoch and the smaller domain is cycled through evenly. The A–B pairing is fixed per seed (no
    ``set_epoch`` state that a resumed run or a DataLoader worker could miss); that is harmless for
    CycleGAN, whose losses treat the A and B halves of a batch independently (each discriminator
    sees only its own domain), so which B sits next to which A in a step does not matter.

    ``val=n`` holds ``n`` images of each domain out of training (see :func:`holdout`; masks from
    ``{split}A_seg/`` and ``{split}B_seg/`` when present), listed in ``val_files``.
    """

    def __init__(self, root: str | Path, split: str = "train", load_size: int = 286, seed: int = 0, val: int = 0):
        root = Path(root)
        problems: list[str] = []
        self.files_a, val_a = holdout(_usable(root / f"{split}A", problems), val, root / f"{split}A_seg")
        self.files_b, val_b = holdout(_usable(root / f"{split}B", problems), val, root / f"{split}B_seg")
        self.val_files = {"A": val_a, "B": val_b}
        self.mask_dirs = {"A": root / f"{split}A_seg", "B": root / f"{split}B_seg"}
        warn_skipped(problems)
        self.load_size = load_size
        self.order_b = torch.randperm(len(self.files_b), generator=torch.Generator().manual_seed(seed)).tolist()

    def __len__(self) -> int:
        return max(len(self.files_a), len(self.files_b))

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        a = self.files_a[i % len(self.files_a)]
        b = self.files_b[self.order_b[i % len(self.files_b)]]
        return {"A": _tensor(_load(a, self.load_size)), "B": _tensor(_load(b, self.load_size))}


class AlignedDataset(Dataset):
    """``{split}/`` files holding A (left half) and B (right half) → ``{"A": input, "B": target}``.

    ``direction="BtoA"`` swaps the halves, so "A" is always what the generator is given.
    """

    def __init__(
        self, root: str | Path, split: str = "train", load_size: int = 286, direction: str = "AtoB", val: int = 0
    ):
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be AtoB or BtoA, not {direction!r}")
        problems: list[str] = []
        self.files, self.val_files = holdout(_usable(Path(root) / split, problems), val)
        warn_skipped(problems)
        self.load_size, self.direction = load_size, direction

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> dict[str, Tensor]:
        return self.pair(self.files[i], self.load_size)

    def pair(self, path: Path, size: int) -> dict[str, Tensor]:
        """``path``'s input and target halves as ``size`` px centre squares."""
        rgb = read_image(path).rgb
        half = rgb.shape[1] // 2
        left, right = fit_square(rgb[:, :half], size), fit_square(rgb[:, half : 2 * half], size)
        source, target = (left, right) if self.direction == "AtoB" else (right, left)
        return {"A": _tensor(source), "B": _tensor(target)}
