"""``ganapps demo``: a local web page with a tab per task (translate, drawing → face, inpaint,
upscale, generate), for people who would rather draw and paint than type commands.

Split in two so the core install stays lean: :mod:`ganapps.demo.handlers` (checks, model cache,
calls into the pipelines; plain Python) and :mod:`ganapps.demo.page` (the Gradio layout, from the
``demo`` extra; check :func:`gradio_available` before importing it).
"""
from __future__ import annotations

import importlib.util

INSTALL_HINT = 'the demo needs Gradio: pip install -e ".[demo]" (or pip install "ganapps[demo]")'


def gradio_available() -> bool:
    return importlib.util.find_spec("gradio") is not None
