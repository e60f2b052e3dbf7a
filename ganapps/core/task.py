"""What a task head provides to the trainer: subclass :class:`Task` and fill in its parts.

Images are float NCHW in [-1, 1]. The trainer calls, per step, ``augment(batch)`` (random crops,
flips, masks: what the losses compare against), ``generate(batch)`` (the generators' forward,
graph kept), then ``d_loss(batch, fake)`` with the fakes detached and the generators frozen, then
``g_loss(batch, fake)`` with the discriminators frozen. A head without
discriminators (SRResNet's pixel-loss phase) returns ``None`` for the D optimizer and is never
asked for a D loss.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Task:
    """A task head. ``name`` names its runs; ``generators``/``discriminators`` are its nets by name
    (the trainer moves them to the device and, under DDP, wraps them in place)."""

    name: str
    generators: dict[str, nn.Module]
    discriminators: dict[str, nn.Module]

    def optimizers(self) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer | None]:
        """(generator optimizer, discriminator optimizer or None without discriminators)."""
        raise NotImplementedError

    def augment(self, batch: Any) -> Any:
        """The training inputs of a loaded batch (random crops, flips, masks); none by default."""
        return batch

    def generate(self, batch: Any) -> Any:
        """Run the generators on an augmented batch; the result feeds both the D and the G step."""
        raise NotImplementedError

    def d_loss(self, batch: Any, fake: Any) -> tuple[Tensor, dict[str, float]]:
        """Discriminator loss (``fake`` arrives detached) and logs incl. ``d_acc_real/_fake``."""
        raise NotImplementedError

    def g_loss(self, batch: Any, fake: Any) -> tuple[Tensor, dict[str, float]]:
        """Generator loss and logs."""
        raise NotImplementedError

    def samples(self, generators: dict[str, nn.Module]) -> Tensor:
        """Images for the sample grid, from fixed inputs, so epochs can be compared."""
        raise NotImplementedError

    def exports(self) -> dict[str, str]:
        """Weights to write at each epoch end: file stem → generator name."""
        raise NotImplementedError

    def weights_metadata(self, stem: str) -> dict[str, Any]:
        """Extra metadata for the exported file ``stem`` (task, image size, direction, ...)."""
        return {}

    def refresh_statistics(self, generators: dict[str, nn.Module]) -> None:
        """Re-measure the running statistics (batch norm) of the EMA ``generators`` before they draw
        samples or are exported: an average of weights does not match the live nets' statistics,
        which the trainer copies. Nothing to do for nets without running statistics."""

    def validate(self, generators: dict[str, nn.Module]) -> dict[str, float]:
        """Figures on held-out data for ``val.jsonl`` (none by default: nothing is held out)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        """What the head keeps besides its nets (an image pool, a step count), for checkpoints."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` on ``--resume``."""
