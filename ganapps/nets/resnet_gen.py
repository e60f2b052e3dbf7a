"""ResNet generator of CycleGAN (Johnson et al. 2016 layout, as used by Zhu et al. 2017).

c7s1-ngf, two stride-2 downsamplings, ``n_blocks`` residual blocks (9 at 256 px, 6 at 128 px),
two upsamplings, c7s1-3 and tanh. Reflection padding keeps borders free of the artefacts zero
padding causes; instance norm makes the style per image.

Two choices on top of the reference layout, both off for converted zoo checkpoints:

* ``upsample="resize"``: bilinear ×2 then a 3×3 convolution, instead of a stride-2 transposed
  convolution. A transposed 3×3 kernel with stride 2 overlaps unevenly (some output pixels get
  four taps, some one), which paints the checkerboard of Odena et al. (2016) that a short training
  run never unlearns; resize-then-convolve cannot produce it.
* ``attention=True``: the last convolution also predicts a mask ``m`` in [0, 1], and the output is
  ``m·content + (1−m)·input`` (AttentionGAN, Tang et al. 2019). Where the mask is 0 the input
  passes through untouched, so a horse→zebra generator can restripe the animal and leave the
  grass and sky as they were.

Layer order and module names (``model.<i>``, ``model.<i>.conv_block.<j>``) follow the reference
implementation (junyanz/pytorch-CycleGAN-and-pix2pix), so its checkpoints map onto ours key for key.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .blocks import check_upsample, conv_bias, init_gan_weights, norm_layer, resize_conv


@dataclass(frozen=True)
class ResNetGeneratorConfig:
    in_channels: int = 3
    out_channels: int = 3
    ngf: int = 64
    n_blocks: int = 9
    norm: str = "instance"
    upsample: str = "transpose"  # transpose (reference layout) | resize (no checkerboard)
    attention: bool = False  # predict a mask and keep the input where it is 0


def default_blocks(image_size: int) -> int:
    """The paper's depth: 9 residual blocks for 256-px training images and up, 6 below."""
    return 9 if image_size >= 256 else 6


class ResnetBlock(nn.Module):
    """x + (pad, conv3, norm, relu, pad, conv3, norm)(x)."""

    def __init__(self, dim: int, norm: str):
        super().__init__()
        bias = conv_bias(norm)
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, bias=bias),
            norm_layer(norm, dim),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, bias=bias),
            norm_layer(norm, dim),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv_block(x)


def _upsample(kind: str, cin: int, cout: int, bias: bool) -> list[nn.Module]:
    """×2 upsampling from ``cin`` to ``cout`` channels (see the module docstring for the kinds)."""
    if kind == "transpose":
        return [nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1, bias=bias)]
    return list(resize_conv(cin, cout, bias))


class ResNetGenerator(nn.Module):
    """Images N×C×H×W in [-1, 1] → N×out×H×W in [-1, 1]; H and W must be multiples of :attr:`stride`."""

    def __init__(self, config: ResNetGeneratorConfig = ResNetGeneratorConfig()):
        super().__init__()
        self.config = c = config
        check_upsample(c.upsample)
        if c.attention and c.in_channels != c.out_channels:
            raise ValueError("an attention generator blends its output with its input: in and out channels must match")
        bias = conv_bias(c.norm)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(c.in_channels, c.ngf, 7, bias=bias),
            norm_layer(c.norm, c.ngf),
            nn.ReLU(True),
        ]
        for i in range(2):  # downsample: ngf → 2 ngf → 4 ngf
            cin = c.ngf * 2**i
            layers += [nn.Conv2d(cin, 2 * cin, 3, stride=2, padding=1, bias=bias), norm_layer(c.norm, 2 * cin), nn.ReLU(True)]
        layers += [ResnetBlock(c.ngf * 4, c.norm) for _ in range(c.n_blocks)]
        for i in range(2):  # upsample: 4 ngf → 2 ngf → ngf
            cin = c.ngf * 2 ** (2 - i)
            layers += [*_upsample(c.upsample, cin, cin // 2, bias), norm_layer(c.norm, cin // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c.ngf, c.out_channels + int(c.attention), 7)]
        if not c.attention:
            layers.append(nn.Tanh())
        self.model = nn.Sequential(*layers)
        self.apply(init_gan_weights)

    @property
    def stride(self) -> int:
        """Input sides must be multiples of this (two stride-2 stages); pad with ``pad_to_stride``."""
        return 4

    @property
    def min_side(self) -> int:
        """Smallest input side: the residual blocks reflect-pad by 1, so they need 2 px at 1/4 scale."""
        return 8

    def forward(
        self, x: Tensor, mask_floor: float = 0.0, parts: bool = False, taps: tuple[int, ...] = ()
    ) -> Tensor | tuple[Tensor, Tensor] | list[Tensor]:
        """Translate ``x``; ``mask_floor`` (attention only, training warm-up) raises the mask to
        ``floor + (1 − floor)·mask``: 1 makes a plain generator, 0 (inference) the learned mask.
        ``parts=True`` (attention only) returns (content, mask) unblended, for training losses
        that treat the two differently; ``taps`` returns instead the outputs of those layers of
        :attr:`model` (CUT's PatchNCE features), running no further than the last. Both go
        through ``forward`` so DDP wrappers see them."""
        if taps:
            features = []
            for i, layer in enumerate(self.model[: max(taps) + 1]):
                x = layer(x)
                if i in taps:
                    features.append(x)
            return features
        if parts:
            if not self.config.attention:
                raise ValueError("parts=True needs an attention generator")
            return self._parts(self.model(x))
        return self.forward_with_mask(x, mask_floor)[0]

    @staticmethod
    def _parts(y: Tensor) -> tuple[Tensor, Tensor]:
        """The last conv's output of an attention generator → (content in [-1, 1], mask in [0, 1])."""
        return torch.tanh(y[:, :-1]), torch.sigmoid(y[:, -1:])

    def forward_with_mask(self, x: Tensor, mask_floor: float = 0.0) -> tuple[Tensor, Tensor | None]:
        """(output, attention mask N×1×H×W in [0, 1], or None for a plain generator)."""
        y = self.model(x)
        if not self.config.attention:
            return y, None
        content, mask = self._parts(y)
        if mask_floor:
            mask = mask_floor + (1 - mask_floor) * mask
        return x + mask * (content - x), mask

    def example_input(self) -> Tensor:
        """An image batch of one, for export/tracing."""
        return torch.zeros(1, self.config.in_channels, 64, 64)
