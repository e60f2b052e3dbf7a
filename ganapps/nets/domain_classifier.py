"""A small CNN that tells two image domains apart (horse vs zebra), to score CycleGAN translations.

Like :mod:`ganapps.nets.classifier` it replaces an Inception network we cannot download, but it
works on 128-px colour photos: four conv blocks halve the image to 8×8, then global average pooling
makes the decision independent of the exact input size.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn


@dataclass(frozen=True)
class DomainClassifierConfig:
    channels: int = 3
    num_classes: int = 2
    width: int = 32
    image_size: int = 128  # the size it was trained at; inputs are resized to it


class DomainClassifier(nn.Module):
    """Images N×C×H×W in [-1, 1] → N×num_classes logits."""

    def __init__(self, config: DomainClassifierConfig = DomainClassifierConfig()):
        super().__init__()
        self.config = c = config

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(True), nn.MaxPool2d(2))

        w = c.width
        self.body = nn.Sequential(block(c.channels, w), block(w, 2 * w), block(2 * w, 4 * w), block(4 * w, 4 * w))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * w, c.num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))
