"""Keeping libpng's and libjpeg's own complaints off the terminal, when the caller reports errors itself.

OpenCV's decoders print lines such as ``libpng error: IDAT: invalid code lengths set`` or
``Corrupt JPEG data: premature end of data segment`` straight to file descriptor 2, where Python
cannot catch them. The CLI promises one line per bad file, of its own making, so it calls
:func:`silence`; :func:`silenced` then points descriptor 2 at ``/dev/null`` for the duration of
a decode. Off by default: a library has no business hiding a process's stderr. Only stdlib
imports here, so the CLI can switch it on without loading OpenCV or torch.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Iterator

_lock = threading.Lock()
_state: dict[str, int | bool | None] = {"on": False, "depth": 0, "saved": None}


def silence(on: bool = True) -> None:
    """Switch silencing of native decoder messages on (the CLI does) or off."""
    _state["on"] = on


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Descriptor 2 goes to ``/dev/null`` inside, if :func:`silence` was called. Reference-counted,
    so concurrent decodes (datasets decode in threads) restore it only when the last one ends."""
    if not _state["on"]:
        yield
        return
    with _lock:
        if _state["depth"] == 0:
            sys.stderr.flush()
            _state["saved"] = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                os.dup2(_state["saved"], 2)
                os.close(_state["saved"])
                _state["saved"] = None
