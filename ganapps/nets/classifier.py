"""A small CNN classifier whose penultimate features stand in for Inception features.

Inception-v3 weights cannot be downloaded here, and Inception features are a poor fit for 28-px
grayscale clothes anyway; the usual practice for MNIST-like data is a classifier trained on the
data itself. ``features()`` returns the 128-d embedding used for Fréchet distance and KID.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn


@dataclass(frozen=True)
class SmallClassifierConfig:
    channels: int = 1
    num_classes: int = 10
    width: int = 32
    feature_dim: int = 128


class SmallClassifier(nn.Module):
    """Three conv blocks (28 → 14 → 7 → 3), then a 128-d feature layer and the class logits."""

    def __init__(self, config: SmallClassifierConfig = SmallClassifierConfig()):
        super().__init__()
        self.config = c = config
        w = c.width

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(True),
                nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(True),
                nn.MaxPool2d(2),
            )

        self.body = nn.Sequential(block(c.channels, w), block(w, 2 * w), block(2 * w, 4 * w))
        self.embed = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * w * 9, c.feature_dim), nn.ReLU(True))
        self.head = nn.Linear(c.feature_dim, c.num_classes)

    def features(self, x: Tensor) -> Tensor:
        """Images in [-1, 1] → N×feature_dim embeddings."""
        return self.embed(self.body(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))
