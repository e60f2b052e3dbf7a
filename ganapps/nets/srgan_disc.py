"""The SRGAN discriminator (Ledig et al. 2017, fig. 4), usable at any input size.

Eight 3×3 convs, 64 → 512 channels, stride 2 every second conv (96 px → 6 px), BatchNorm after all
but the first, LeakyReLU(0.2); then a dense layer of 1024 and one logit. The paper's dense head
only fits 96×96 crops; adaptive average pooling to ``pool``×``pool`` in front of it makes any size
work and is the identity at 96 px with the default ``pool=6``, so the paper's net is unchanged
there. Layer names follow BasicSR's ``VGGStyleDiscriminator`` (conv0_0, bn0_1, ..., linear1).
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn


@dataclass(frozen=True)
class SRGANDiscriminatorConfig:
    channels: int = 3
    num_feat: int = 64
    pool: int = 6
    hidden: int = 1024


class SRGANDiscriminator(nn.Module):
    """Images N×C×H×W in [-1, 1] → one real/fake logit per image (shape N)."""

    def __init__(self, config: SRGANDiscriminatorConfig = SRGANDiscriminatorConfig()):
        super().__init__()
        self.config = c = config
        widths = [c.num_feat, c.num_feat * 2, c.num_feat * 4, c.num_feat * 8]
        self.conv0_0 = nn.Conv2d(c.channels, widths[0], 3, 1, 1)
        self.conv0_1 = nn.Conv2d(widths[0], widths[0], 3, 2, 1, bias=False)
        self.bn0_1 = nn.BatchNorm2d(widths[0])
        for i in range(1, 4):
            setattr(self, f"conv{i}_0", nn.Conv2d(widths[i - 1], widths[i], 3, 1, 1, bias=False))
            setattr(self, f"bn{i}_0", nn.BatchNorm2d(widths[i]))
            setattr(self, f"conv{i}_1", nn.Conv2d(widths[i], widths[i], 3, 2, 1, bias=False))
            setattr(self, f"bn{i}_1", nn.BatchNorm2d(widths[i]))
        self.pool = nn.AdaptiveAvgPool2d(c.pool)
        self.linear1 = nn.Linear(widths[3] * c.pool * c.pool, c.hidden)
        self.linear2 = nn.Linear(c.hidden, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def features(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """``(logits, [activation after each of the 4 stages])``: the stages feed feature matching."""
        feats = []
        x = self.lrelu(self.conv0_0(x))
        x = self.lrelu(self.bn0_1(self.conv0_1(x)))
        feats.append(x)
        for i in range(1, 4):
            x = self.lrelu(getattr(self, f"bn{i}_0")(getattr(self, f"conv{i}_0")(x)))
            x = self.lrelu(getattr(self, f"bn{i}_1")(getattr(self, f"conv{i}_1")(x)))
            feats.append(x)
        logits = self.linear2(self.lrelu(self.linear1(self.pool(x).flatten(1))))
        return logits.flatten(), feats

    def forward(self, x: Tensor, with_features: bool = False) -> Tensor | tuple[Tensor, list[Tensor]]:
        """Logits, or with ``with_features`` also :meth:`features`' stages: through ``forward``,
        a wrapper such as DDP's passes the request on (it does not expose other methods)."""
        logits, feats = self.features(x)
        return (logits, feats) if with_features else logits
