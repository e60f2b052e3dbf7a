"""``python -m ganapps`` (also ``torchrun ... -m ganapps train ...`` for multi-process training)."""
from ganapps.cli import app

app()
