"""A clean stop on request: a session can end a run minutes before it is cut off."""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any, Iterator


@contextlib.contextmanager
def stop_on_signal() -> Iterator[threading.Event]:
    """SIGTERM or SIGINT (Ctrl-C) during training asks for a clean stop: the loop finishes its
    step, reaches the next log point, checkpoints and returns, so a session can end a run
    minutes before it is cut off and the next one goes on with ``--resume``. A second
    signal interrupts at once, as usual."""
    requested = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def ask(sig: int, frame: Any) -> None:
        if requested.is_set():
            raise KeyboardInterrupt
        requested.set()

    for sig in previous:
        signal.signal(sig, ask)
    try:
        yield requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
