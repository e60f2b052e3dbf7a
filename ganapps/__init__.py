"""ganapps: generative adversarial networks put to work on real images.

>>> import ganapps
>>> pipe = ganapps.load("dcgan-fashion")      # doctest: +SKIP
"""
__version__ = "0.1.0"


def load(name_or_path, device: str = "cpu"):
    """A ready inference pipeline for a shipped model name or an exported ``.safetensors`` file."""
    from ganapps.api import load as _load

    return _load(name_or_path, device=device)
