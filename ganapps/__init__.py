"""ganapps: generative adversarial networks put to work on real images."""
__version__ = "0.1.0"
