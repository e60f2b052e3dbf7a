"""SRResNet (Ledig et al. 2017), in the batch-norm-free form later work settled on.

Layout: a 3×3 head, ``num_block`` residual blocks of two 3×3 convs at LR resolution, then one
(×2) or two (×4) stages of conv → pixel shuffle ×2, and two 3×3 convs at HR. The bilinearly
upsampled input is added at the end, so the net learns only the missing detail and trains fast.

Differences from the paper, with reasons: no BatchNorm (EDSR/ESRGAN found it costs PSNR and adds
artifacts; without it a tile of any size behaves exactly as in training), LeakyReLU instead of
PReLU, 3×3 instead of 9×9 outer convs, ICNR-initialised sub-pixel convs (no checkerboard at
the start; the paper's were random). Layer names are BasicSR's ``MSRResNet``, so its checkpoints
map by name. BasicSR works in [0, 1], we in [-1, 1]: weights converted from BasicSR set
``unit_range`` and the net changes the range around them. Folding that change into ``conv_first``
would be exact inside the image only: its zero padding would then stand for grey, not black, and
the border pixels would differ from BasicSR's.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

from .blocks import SuperResolutionNet, icnr_

SCALES = (2, 4)


@dataclass(frozen=True)
class SRResNetConfig:
    scale: int = 4
    num_feat: int = 64
    num_block: int = 16
    channels: int = 3
    unit_range: bool = False  # True: the weights expect and produce [0, 1] images (BasicSR's convention)


def _scaled_kaiming(module: nn.Module, scale: float) -> None:
    """Kaiming init shrunk by ``scale``: a deep residual stack without BN starts near identity."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight)
            m.weight.data.mul_(scale)
            nn.init.zeros_(m.bias)


class ResidualBlockNoBN(nn.Module):
    """``x + conv2(relu(conv1(x)))``."""

    def __init__(self, num_feat: int):
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(self.relu(self.conv1(x)))


class SRResNet(SuperResolutionNet):
    """LR images N×C×H×W in [-1, 1] → N×C×(sH)×(sW), s = ``config.scale`` (2 or 4).

    The output is not squashed (no tanh): values slightly outside [-1, 1] are clamped when
    written, which keeps gradients alive for the brightest and darkest pixels.
    """

    def __init__(self, config: SRResNetConfig = SRResNetConfig()):
        super().__init__()
        if config.scale not in SCALES:
            raise ValueError(f"SRResNet scale must be one of {SCALES}, not {config.scale}")
        self.config = c = config
        self.conv_first = nn.Conv2d(c.channels, c.num_feat, 3, 1, 1)
        self.body = nn.Sequential(*(ResidualBlockNoBN(c.num_feat) for _ in range(c.num_block)))
        self.upconv1 = nn.Conv2d(c.num_feat, c.num_feat * 4, 3, 1, 1)
        self.upconv2 = nn.Conv2d(c.num_feat, c.num_feat * 4, 3, 1, 1) if c.scale == 4 else None
        self.pixel_shuffle = nn.PixelShuffle(2)
        self.conv_hr = nn.Conv2d(c.num_feat, c.num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(c.num_feat, c.channels, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.1, inplace=True)
        _scaled_kaiming(self, 0.1)
        for up in (self.upconv1, self.upconv2):  # sub-pixel convs start without a checkerboard
            if up is not None:
                icnr_(up, 2).weight.data.mul_(0.1)

    def _forward(self, x: Tensor) -> Tensor:
        out = self.body(self.lrelu(self.conv_first(x)))
        for up in (self.upconv1, self.upconv2):
            if up is not None:
                out = self.lrelu(self.pixel_shuffle(up(out)))
        out = self.conv_last(self.lrelu(self.conv_hr(out)))
        base = F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return out + base
