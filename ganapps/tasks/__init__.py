"""Task heads: each file builds its nets and says how to score them; core/trainer does the rest.

The registry: one line per head, ``ganapps train NAME`` → the module attribute holding its
:class:`~ganapps.tasks.head.Head`. Heads are imported only when their command runs.
"""
from __future__ import annotations

from importlib import import_module

HEADS = {
    "dcgan": "ganapps.tasks.dcgan:HEAD",
    "image-gan": "ganapps.tasks.imagegan:HEAD",
    "cyclegan": "ganapps.tasks.cyclegan:HEAD",
    "cut": "ganapps.tasks.cut:HEAD",
    "pix2pix": "ganapps.tasks.pix2pix:HEAD",
    "inpaint": "ganapps.tasks.inpaint:HEAD",
    "srresnet": "ganapps.tasks.srgan:SRRESNET",
    "srgan": "ganapps.tasks.srgan:SRGAN",
    "real-sr": "ganapps.tasks.realsr:HEAD",
}


def load_head(name: str):
    """The :class:`~ganapps.tasks.head.Head` registered as ``name``."""
    module, attr = HEADS[name].split(":")
    return getattr(import_module(module), attr)
