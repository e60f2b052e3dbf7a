"""The ``ganapps`` command: thin functions over the Python API, a module per command family.

``common`` holds the apps, error handling and shared options; importing the family modules
registers their commands. ``ganapps train NAME`` is built from the head registry (``train``).
"""
from __future__ import annotations

from . import translate, inpaint, upscale, generate, train, tools  # noqa: F401 - registers the commands, in this order
from .common import app

__all__ = ["app"]
