"""U-Net generator of pix2pix (Isola et al. 2017): an encoder-decoder with skip connections.

Each level halves the image with a 4×4 stride-2 convolution and its mirror doubles it back with a
transposed convolution, and the decoder sees the encoder's features of the same level (the skip),
so fine detail of the input (label boundaries, sketch lines) reaches the output directly.
``num_downs`` levels mean the input sides must be multiples of ``2**num_downs`` (:attr:`stride`);
8 levels take 256 px down to 1×1, 7 levels do the same at 128 px. The three decoder levels next to
the bottleneck use dropout 0.5, the paper's only source of noise.

The nesting (``model.model.<i>.model...``) and layer order follow the reference implementation
(junyanz/pytorch-CycleGAN-and-pix2pix), so its checkpoint keys map onto ours by name; its BatchNorm
run per image (its default test mode) is our ``instance_affine`` norm, and run with its running
statistics (``--eval``) our ``batch`` norm (see :mod:`ganapps.nets.blocks`).

``upsample="resize"`` replaces each transposed convolution by bilinear ×2 and a 3×3 convolution
(no checkerboard; :func:`~ganapps.nets.blocks.resize_conv`); converted checkpoints keep
``transpose``, the default of the config, so their files rebuild the reference net.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .blocks import check_upsample, conv_bias, init_gan_weights, norm_layer, resize_conv

MIN_DOWNS = 5  # outermost + ngf·2 + ngf·4 + ngf·8 levels + innermost


@dataclass(frozen=True)
class UNetGeneratorConfig:
    in_channels: int = 3
    out_channels: int = 3
    ngf: int = 64
    num_downs: int = 8
    norm: str = "instance_affine"
    dropout: float = 0.5
    upsample: str = "transpose"  # transpose (reference layout) | resize (no checkerboard)


def default_downs(image_size: int) -> int:
    """Levels that take ``image_size`` down to 1 px (at most 8, as the paper's 256-px net)."""
    downs = min(8, (image_size & -image_size).bit_length() - 1)  # trailing zero bits of the size
    if downs < MIN_DOWNS:
        raise ValueError(f"a U-Net needs an image size divisible by {2**MIN_DOWNS}, not {image_size}")
    return downs


class UNetSkipBlock(nn.Module):
    """One level: down → (inner levels) → up, with the level's input concatenated to its output."""

    def __init__(
        self, outer: int, inner: int, norm: str, sub: nn.Module | None = None, in_channels: int | None = None,
        outermost: bool = False, dropout: float = 0.0, upsample: str = "transpose",
    ):
        super().__init__()
        self.outermost = outermost
        bias = conv_bias(norm)
        down = nn.Conv2d(in_channels or outer, inner, 4, stride=2, padding=1, bias=bias)

        def up_layer(cin: int, with_bias: bool) -> nn.Module:
            if upsample == "resize":
                return resize_conv(cin, outer, with_bias)
            return nn.ConvTranspose2d(cin, outer, 4, stride=2, padding=1, bias=with_bias)

        if outermost:
            up = up_layer(2 * inner, True)
            layers: list[nn.Module] = [down, sub, nn.ReLU(True), up, nn.Tanh()]
        elif sub is None:  # innermost: its 1×1 bottleneck is not normalised (one value per channel)
            up = up_layer(inner, bias)
            layers = [nn.LeakyReLU(0.2, True), down, nn.ReLU(True), up, norm_layer(norm, outer)]
        else:
            up = up_layer(2 * inner, bias)
            layers = [nn.LeakyReLU(0.2, True), down, norm_layer(norm, inner), sub, nn.ReLU(True), up, norm_layer(norm, outer)]
            if dropout:
                layers.append(nn.Dropout(dropout))
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UNetGenerator(nn.Module):
    """Images N×C×H×W in [-1, 1] → N×out×H×W in [-1, 1]; H and W must be multiples of :attr:`stride`."""

    def __init__(self, config: UNetGeneratorConfig = UNetGeneratorConfig()):
        super().__init__()
        self.config = c = config
        if c.num_downs < MIN_DOWNS:
            raise ValueError(f"num_downs must be at least {MIN_DOWNS}, not {c.num_downs}")
        check_upsample(c.upsample)
        g, up = c.ngf, c.upsample
        block = UNetSkipBlock(8 * g, 8 * g, c.norm, upsample=up)
        for _ in range(c.num_downs - MIN_DOWNS):
            block = UNetSkipBlock(8 * g, 8 * g, c.norm, block, dropout=c.dropout, upsample=up)
        for mult in (4, 2, 1):
            block = UNetSkipBlock(mult * g, 2 * mult * g, c.norm, block, upsample=up)
        self.model = UNetSkipBlock(c.out_channels, g, c.norm, block, in_channels=c.in_channels, outermost=True, upsample=up)
        self.apply(init_gan_weights)

    @property
    def stride(self) -> int:
        """Input sides must be multiples of this (``2**num_downs``); pad with ``pad_to_stride``."""
        return 2**self.config.num_downs

    @property
    def min_side(self) -> int:
        """Smallest input side: one stride (the bottleneck is then 1×1, which it handles)."""
        return self.stride

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)

    def example_input(self) -> Tensor:
        """An image batch of one, for export/tracing."""
        return torch.zeros(1, self.config.in_channels, self.stride, self.stride)
