"""N-layer PatchGAN discriminator (Isola et al. 2017): one real/fake score per image patch.

With ``n_layers=3`` each output score sees a 70×70 patch of the input: the discriminator judges
texture and local structure, and leaves global correctness to the L1/cycle terms. It is fully
convolutional, so it runs at any input size. For a conditional D (pix2pix) pass
``in_channels = input + output channels`` and feed ``cat(input, output)``.

Layer order and names (``model.<i>``) follow the reference implementation
(junyanz/pytorch-CycleGAN-and-pix2pix), so its checkpoint keys map onto ours by name.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from .blocks import conv_bias, init_gan_weights, norm_layer


@dataclass(frozen=True)
class PatchGANConfig:
    in_channels: int = 3
    ndf: int = 64
    n_layers: int = 3
    norm: str = "instance"


def receptive_field(n_layers: int) -> int:
    """Side of the input patch one output score sees (70 for the default 3 layers)."""
    field = 1
    for stride in reversed([2] * n_layers + [1, 1]):  # last two 4×4 convolutions have stride 1
        field = (field - 1) * stride + 4
    return field


class PatchGANDiscriminator(nn.Module):
    """N×C×H×W → N×1×h×w raw scores (logits for log-loss, scores for LSGAN)."""

    def __init__(self, config: PatchGANConfig = PatchGANConfig()):
        super().__init__()
        self.config = c = config
        bias = conv_bias(c.norm)
        layers: list[nn.Module] = [nn.Conv2d(c.in_channels, c.ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        width = c.ndf
        for n in range(1, c.n_layers + 1):
            out = c.ndf * min(2**n, 8)
            stride = 2 if n < c.n_layers else 1
            layers += [nn.Conv2d(width, out, 4, stride=stride, padding=1, bias=bias), norm_layer(c.norm, out), nn.LeakyReLU(0.2, True)]
            width = out
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        self.apply(init_gan_weights)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)
