"""Reading other projects' checkpoint files without ever running code from them.

``torch.load(..., weights_only=True)`` rebuilds only tensors and plain containers; a file that needs
anything else (a pickled class, a function) is refused, since a full unpickle of a stranger's file
can run arbitrary code. What comes out is reduced to one flat ``{name: tensor}`` dict the way the
reference loaders see it: BasicSR's ``{"params_ema": ..., "params": ...}`` wrapper is opened (EMA
preferred, as Real-ESRGAN's inference does) and DataParallel's ``module.`` prefixes are removed.
"""
from __future__ import annotations

import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from torch import Tensor

WRAPPERS = ("params_ema", "params")  # BasicSR's keys, in order of preference
_MAGICS = (b"PK\x03\x04", b"\x80")  # torch.save's zip format; the legacy pickle format


class ConvertError(ValueError):
    """A file that cannot be converted; the message names the file and the first offending key."""


@dataclass(frozen=True)
class ForeignCheckpoint:
    tensors: dict[str, Tensor]
    wrapper: str | None  # the BasicSR key the tensors came from, if any
    data: bytes  # the file's bytes, for its checksum in the converted file's provenance


def read_checkpoint(path: str | Path) -> ForeignCheckpoint:
    """The flat state dict in a ``.pth``/``.pt``/``.ckpt`` (or ``.safetensors``) file."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix == ".safetensors":
        try:
            return _flatten(path, st_load(data), data)
        except SafetensorError as e:
            raise ConvertError(f"{path}: not a readable .safetensors file ({_first_line(e)})") from None
    if not data.startswith(_MAGICS):
        raise ConvertError(f"{path}: not a PyTorch checkpoint (neither torch.save's zip nor pickle format)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        what = f" such as {found[1]}" if found else ""
        raise ConvertError(
            f"{path}: refused: it holds Python objects{what} besides tensors, and loading those would "
            "mean running code from the file (only weights_only loading is done)"
        ) from None
    except Exception as e:  # noqa: BLE001 - zip/format errors from torch: the file is damaged or foreign
        raise ConvertError(f"{path}: not a readable PyTorch checkpoint ({_first_line(e)})") from None
    return _flatten(path, obj, data)


def _flatten(path: Path, obj: object, data: bytes) -> ForeignCheckpoint:
    if not isinstance(obj, dict):
        raise ConvertError(f"{path}: holds a {type(obj).__name__}, not a dict of named tensors")
    wrapper = next((k for k in WRAPPERS if isinstance(obj.get(k), dict)), None)
    state = obj[wrapper] if wrapper else obj
    tensors: dict[str, Tensor] = {}
    for key, value in state.items():
        if not isinstance(value, Tensor):
            raise ConvertError(f"{path}: entry {key!r} is not a tensor ({type(value).__name__}): not a state dict")
        tensors[str(key).removeprefix("module.")] = value
    if not tensors:
        raise ConvertError(f"{path}: holds no tensors")
    return ForeignCheckpoint(tensors, wrapper, data)


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
