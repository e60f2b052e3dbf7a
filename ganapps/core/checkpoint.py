"""Everything we write to disk is safetensors: weights for inference and full training state.

* **Weights** (``save_weights`` / ``load_weights``): one network's tensors, with ``{"arch", "config",
  ...}`` as JSON in the file's metadata, so :func:`ganapps.nets.build` rebuilds the net from the file
  alone.
* **Training state** (``save_state`` / ``load_state``): an arbitrary nest of dicts, lists, numbers,
  strings, tensors and numpy arrays (models, optimizers, schedulers, RNG states, step). Tensors go
  into the safetensors body and the skeleton into JSON metadata, so resuming never unpickles
  anything: a checkpoint a stranger hands you cannot run code.

Both are written atomically: to a temporary file in the same folder, fsynced, then renamed over
the target, so a crash or ``kill -9`` mid-write leaves the previous file intact.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

META_KEY = "ganapps"
STATE_KEY = "ganapps_state"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A file that is not a readable ganapps safetensors file (message names the file and why)."""


class WriteFailed(OSError):
    """Writing a file failed (disk full, no permission, ...); the message names the file."""


def _write_failed(path: Path, e: OSError) -> WriteFailed:
    err = WriteFailed(f"cannot write {path}: {e.strerror or e}")
    err.errno = e.errno
    return err


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file + fsync + rename (all-or-nothing).

    Any OS error (a full disk, a read-only folder) becomes :class:`WriteFailed` naming ``path``,
    and the temporary file is removed, so nothing half-written is left behind."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _write_failed(path, e) from e
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the permissions open() would
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _write_failed(path, e) from e
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ----------------------------------------------------------------------------------- weights
def save_weights(
    path: str | os.PathLike,
    module: torch.nn.Module,
    spec: dict[str, Any],
    dtype: torch.dtype | None = None,
) -> None:
    """Save ``module``'s state dict with ``spec`` (at least ``arch`` and ``config``) as metadata.

    ``dtype`` (e.g. ``torch.float16``) casts floating tensors to keep shipped files small.
    """
    if "arch" not in spec or "config" not in spec:
        raise ValueError("weights spec needs 'arch' and 'config'")
    if "task" in spec:  # a model for a pipeline: its task's fields, checked (core/metadata.py)
        from .metadata import parse_meta  # that module builds on this one's CheckpointError

        spec = parse_meta(spec, str(path)).to_dict()
    tensors = {}
    for name, t in module.state_dict().items():
        t = t.detach().cpu()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        tensors[name] = t.contiguous().clone()
    meta = {META_KEY: json.dumps({"format_version": FORMAT_VERSION, **spec})}
    atomic_write_bytes(path, st_save(tensors, metadata=meta))


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The ganapps spec stored in a weights file, without reading its tensors."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(META_KEY)
    except (SafetensorError, OSError, ValueError) as e:
        if _is_pickle(path):
            raise CheckpointError(
                f"{path}: a PyTorch pickle file; models are loaded only from .safetensors, since unpickling "
                "can run code ('ganapps convert' turns CycleGAN/pix2pix/ESRGAN .pth files into one)"
            ) from None
        raise CheckpointError(f"{path}: not a readable .safetensors file ({_short(e)})") from None
    if raw is None:
        raise CheckpointError(
            f"{path}: safetensors file has no ganapps metadata (convert foreign checkpoints with 'ganapps convert')"
        )
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise CheckpointError(f"{path}: ganapps metadata is not valid JSON") from None


def load_weights(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Return ``(state_dict, spec)`` of a weights file. Never unpickles."""
    spec = read_metadata(path)
    try:
        tensors = st_load(Path(path).read_bytes())
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: cannot read tensors ({_short(e)})") from None
    return tensors, spec


def _is_pickle(path: Path) -> bool:
    """Whether ``path`` starts like a ``torch.save`` file (zip) or a raw pickle (protocol 2-5)."""
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head.startswith(b"PK\x03\x04") or (len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5)


def _short(e: Exception) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


# ------------------------------------------------------------------------------ training state
def _flatten(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Replace tensors/arrays in a nest by references into ``tensors``; return a JSON-able skeleton."""
    if isinstance(obj, torch.Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = obj.detach().cpu().contiguous().clone()
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray):
        key = f"t{len(tensors)}"
        tensors[key] = torch.from_numpy(np.ascontiguousarray(obj)).clone()
        return {"__ndarray__": key}
    if isinstance(obj, dict):
        # JSON keys are strings: remember int keys (optimizer state is keyed by param index).
        items = [[_flatten(k, tensors), _flatten(v, tensors)] for k, v in obj.items()]
        return {"__dict__": items}
    if isinstance(obj, tuple):
        return {"__tuple__": [_flatten(v, tensors) for v in obj]}
    if isinstance(obj, list):
        return [_flatten(v, tensors) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in a training checkpoint")


def _unflatten(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__ndarray__" in obj:
            return tensors[obj["__ndarray__"]].numpy()
        if "__tuple__" in obj:
            return tuple(_unflatten(v, tensors) for v in obj["__tuple__"])
        if "__dict__" in obj:
            return {_unflatten(k, tensors): _unflatten(v, tensors) for k, v in obj["__dict__"]}
        raise CheckpointError(f"unexpected entry in checkpoint skeleton: {sorted(obj)}")
    if isinstance(obj, list):
        return [_unflatten(v, tensors) for v in obj]
    return obj


def save_state(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Atomically save a nested training state (see module docstring)."""
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _flatten(state, tensors)
    meta = {STATE_KEY: json.dumps({"format_version": FORMAT_VERSION, "state": skeleton})}
    atomic_write_bytes(path, st_save(tensors, metadata=meta))


def load_state(path: str | os.PathLike) -> dict[str, Any]:
    """Load a training state written by :func:`save_state`."""
    path = Path(path)
    try:
        data = path.read_bytes()
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(STATE_KEY)
        tensors = st_load(data)
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a readable training checkpoint ({_short(e)})") from None
    if raw is None:
        raise CheckpointError(f"{path}: not a ganapps training checkpoint")
    return _unflatten(json.loads(raw)["state"], tensors)
