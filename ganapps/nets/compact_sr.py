"""A compact super-resolution net for CPUs, in the style of Real-ESRGAN's ``SRVGGNetCompact``.

All the work happens at the low resolution: a 3×3 conv, ``num_conv`` 3×3 convs of ``num_feat``
channels each followed by PReLU, and a last conv to ``3·scale²`` channels that a pixel shuffle
turns into the high-resolution residual, added to the nearest-upsampled input. No residual blocks,
no work at the high resolution: about 0.6 M parameters and a quarter of SRResNet's operations at
×4 for 16 convs, which is what a CPU can afford to train and to run on a whole photo. The last
conv is ICNR-initialised (``nets/blocks.py``), so the net starts without a checkerboard.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

from .blocks import SuperResolutionNet, icnr_

SCALES = (2, 4)


@dataclass(frozen=True)
class CompactSRConfig:
    scale: int = 4
    num_feat: int = 64
    num_conv: int = 16  # realesr-animevideov3's depth; realesr-general-x4v3 uses 32 (twice the cost)
    channels: int = 3


class CompactSR(SuperResolutionNet):
    """LR images N×C×H×W in [-1, 1] → N×C×(sH)×(sW), s = ``config.scale``.

    >>> import torch
    >>> net = CompactSR(CompactSRConfig(scale=2, num_feat=8, num_conv=2))
    >>> tuple(net(torch.zeros(1, 3, 5, 7)).shape)
    (1, 3, 10, 14)
    """

    def __init__(self, config: CompactSRConfig = CompactSRConfig()):
        super().__init__()
        if config.scale not in SCALES:
            raise ValueError(f"compact SR scale must be one of {SCALES}, not {config.scale}")
        self.config = c = config
        layers: list[nn.Module] = [nn.Conv2d(c.channels, c.num_feat, 3, 1, 1), nn.PReLU(c.num_feat)]
        for _ in range(c.num_conv):
            layers += [nn.Conv2d(c.num_feat, c.num_feat, 3, 1, 1), nn.PReLU(c.num_feat)]
        layers.append(icnr_(nn.Conv2d(c.num_feat, c.channels * c.scale**2, 3, 1, 1), c.scale))
        self.body = nn.Sequential(*layers)
        self.shuffle = nn.PixelShuffle(c.scale)

    def _forward(self, x: Tensor) -> Tensor:
        return self.shuffle(self.body(x)) + F.interpolate(x, scale_factor=self.scale, mode="nearest")
