"""RRDBNet, the generator of ESRGAN (Wang et al. 2018) and Real-ESRGAN (Wang et al. 2021).

A 3×3 head, ``num_block`` residual-in-residual dense blocks at LR resolution, a 3×3 trunk conv
whose output is added back to the head's features, then two stages of nearest ×2 upsampling + 3×3
conv, and two 3×3 convs at HR. Each dense block's five convs see the concatenation of all earlier
features in the block; residuals are scaled by 0.2, which is what lets 23 blocks without
normalisation train stably. ×4 is the native layout; ×2 and ×1 first fold each 2×2 or 4×4 pixel
block into channels (pixel-unshuffle), so the same ×4 body runs on a quarter or a sixteenth of the
pixels, and the head takes 4 or 16 times the channels.

We do not train this net; it exists to run the published ESRGAN/Real-ESRGAN weights. Parameter
names are BasicSR's, so their checkpoints map by name, and ``unit_range`` makes the net take and
give our [-1, 1] images around weights trained on [0, 1] (see :mod:`ganapps.nets.srresnet` for why
that is not folded into the weights).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .blocks import SuperResolutionNet, pad_to_stride

UNSHUFFLE = {4: 1, 2: 2, 1: 4}  # output scale → input pixel-unshuffle factor


@dataclass(frozen=True)
class RRDBNetConfig:
    scale: int = 4
    num_feat: int = 64
    num_block: int = 23
    num_grow_ch: int = 32
    channels: int = 3
    unit_range: bool = False  # True: the weights expect and produce [0, 1] images (BasicSR's convention)


class ResidualDenseBlock(nn.Module):
    """Five 3×3 convs, each fed every earlier feature map of the block; ``x + 0.2 · conv5(...)``."""

    def __init__(self, num_feat: int, grow: int):
        super().__init__()
        for i in range(1, 5):
            setattr(self, f"conv{i}", nn.Conv2d(num_feat + (i - 1) * grow, grow, 3, 1, 1))
        self.conv5 = nn.Conv2d(num_feat + 4 * grow, num_feat, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        feats = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            feats.append(self.lrelu(conv(torch.cat(feats, 1))))
        return x + 0.2 * self.conv5(torch.cat(feats, 1))


class RRDB(nn.Module):
    """Three dense blocks in a row, with their own 0.2-scaled residual around them."""

    def __init__(self, num_feat: int, grow: int):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, grow)
        self.rdb2 = ResidualDenseBlock(num_feat, grow)
        self.rdb3 = ResidualDenseBlock(num_feat, grow)

    def forward(self, x: Tensor) -> Tensor:
        return x + 0.2 * self.rdb3(self.rdb2(self.rdb1(x)))


class RRDBNet(SuperResolutionNet):
    """LR images N×C×H×W in [-1, 1] → N×C×(sH)×(sW), s = ``config.scale`` (1, 2 or 4).

    For ×2 and ×1, H and W need not be multiples of the unshuffle factor: the input is
    reflect-padded up to one and the output cropped back, as Real-ESRGAN's inference does.
    """

    def __init__(self, config: RRDBNetConfig = RRDBNetConfig()):
        super().__init__()
        if config.scale not in UNSHUFFLE:
            raise ValueError(f"RRDBNet scale must be one of {sorted(UNSHUFFLE)}, not {config.scale}")
        self.config = c = config
        self.unshuffle = UNSHUFFLE[c.scale]
        self.conv_first = nn.Conv2d(c.channels * self.unshuffle**2, c.num_feat, 3, 1, 1)
        self.body = nn.Sequential(*(RRDB(c.num_feat, c.num_grow_ch) for _ in range(c.num_block)))
        self.conv_body = nn.Conv2d(c.num_feat, c.num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(c.num_feat, c.num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(c.num_feat, c.num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(c.num_feat, c.num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(c.num_feat, c.channels, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def _forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(pad_to_stride(x, self.unshuffle)[0], self.unshuffle)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        for conv in (self.conv_up1, self.conv_up2):
            feat = self.lrelu(conv(F.interpolate(feat, scale_factor=2, mode="nearest")))
        out = self.conv_last(self.lrelu(self.conv_hr(feat)))
        return out[..., : h * self.scale, : w * self.scale]
