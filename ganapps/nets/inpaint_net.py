"""Inpainting nets of DeepFill v2 (Yu et al. 2019): a gated-convolution generator, an SN-PatchGAN.

Why gated convolutions: a plain convolution treats the zeroed hole as if it were grey image content.
Partial convolutions (Liu et al. 2018) fix that with a hand-made rule (renormalise by the share of
known pixels, then mark the output known). A gated convolution learns the rule instead: half of its
outputs are features, the other half a sigmoid gate per pixel and channel, so the net decides how
much of each location to let through, including deep in the net where "hole" is no longer binary.

The generator is DeepFill v2's coarse network, used alone: two stride-2 gated convs down to a
quarter of the resolution, a bottleneck of gated convs with dilations 2, 4, 8, 16 (at 128 px the
receptive field then spans the whole face, so a hole is filled from all of it: the other eye, the
hairline), nearest-neighbour upsampling with gated convs back up, a plain conv and tanh to RGB.
Unlike DeepFill, each decoder stage also takes the encoder's features of its resolution (U-Net
skips): without them the known pixels around the hole must pass through the quarter-resolution
bottleneck, and a short run learned them slowly (valid-pixel L1 still 0.10 after 5,000 steps at
96 px); the gates decide how much of the hole-contaminated encoder features to use.
The refinement stage with contextual attention would double the cost; it pays off mostly for large
textured scenes, not for aligned faces at 128 px. The decoder upsamples to the encoder's exact
sizes, so any input size works (odd sides included) without padding.

Input: the image in [-1, 1] with the hole set to 0, and the mask (1 = missing) as a fourth channel
(:func:`masked_input`). Output: the raw prediction for every pixel; :func:`composite` keeps the
known pixels and takes only the hole from it.

The discriminator is SN-PatchGAN: six 5×5 stride-2 convs with spectral normalisation (which bounds
D's Lipschitz constant, so the hinge loss needs no gradient penalty), on image + mask. Each output
element is a real/fake score of one patch (at 128 px each sees the whole image, at higher
resolution a part). Unlike the paper's code the last layer has no LeakyReLU: hinge scores must be
free to go negative.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm


def masked_input(image: Tensor, mask: Tensor) -> Tensor:
    """The generator's input: N×3×H×W image in [-1, 1] with holes zeroed, plus the N×1×H×W mask."""
    return torch.cat([image * (1 - mask), mask], dim=1)


def composite(image: Tensor, mask: Tensor, output: Tensor) -> Tensor:
    """Known pixels from ``image``, hole pixels (``mask`` = 1) from ``output``."""
    return image * (1 - mask) + output * mask


class GatedConv2d(nn.Module):
    """``ELU(features) · sigmoid(gate)``, both from one convolution with twice the output channels.

    'Same' padding: stride 1 keeps the size, stride 2 gives ``ceil(side / 2)``.

    >>> GatedConv2d(4, 8, 3, stride=2)(torch.zeros(1, 4, 9, 7)).shape
    torch.Size([1, 8, 5, 4])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1, dilation: int = 1):
        super().__init__()
        pad = dilation * (kernel - 1) // 2
        self.conv = nn.Conv2d(in_channels, 2 * out_channels, kernel, stride, pad, dilation=dilation)

    def forward(self, x: Tensor) -> Tensor:
        features, gate = self.conv(x).chunk(2, dim=1)
        return F.elu(features) * torch.sigmoid(gate)


@dataclass(frozen=True)
class InpaintGeneratorConfig:
    width: int = 32  # DeepFill v2's cnum is 48; 32 keeps a CPU step at 128 px under a second
    dilations: tuple[int, ...] = (2, 4, 8, 16)


class InpaintGenerator(nn.Module):
    """N×4×H×W (:func:`masked_input`) → N×3×H×W raw prediction in [-1, 1], any H and W."""

    def __init__(self, config: InpaintGeneratorConfig = InpaintGeneratorConfig()):
        super().__init__()
        self.config = c = config
        w = c.width
        self.enc1 = GatedConv2d(4, w, 5)
        self.enc2 = nn.Sequential(GatedConv2d(w, 2 * w, 3, stride=2), GatedConv2d(2 * w, 2 * w))
        self.enc3 = nn.Sequential(
            GatedConv2d(2 * w, 4 * w, 3, stride=2), GatedConv2d(4 * w, 4 * w), GatedConv2d(4 * w, 4 * w)
        )
        self.bottleneck = nn.Sequential(
            *(GatedConv2d(4 * w, 4 * w, 3, dilation=d) for d in c.dilations),
            GatedConv2d(4 * w, 4 * w),
            GatedConv2d(4 * w, 4 * w),
        )
        self.dec2 = nn.Sequential(GatedConv2d(4 * w + 2 * w, 2 * w), GatedConv2d(2 * w, 2 * w))
        self.dec1 = nn.Sequential(GatedConv2d(2 * w + w, w), GatedConv2d(w, w // 2))
        self.to_rgb = nn.Conv2d(w // 2, 3, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        full = self.enc1(x)
        half = self.enc2(full)
        y = self.bottleneck(self.enc3(half))
        y = self.dec2(torch.cat([F.interpolate(y, size=half.shape[-2:], mode="nearest"), half], dim=1))
        y = self.dec1(torch.cat([F.interpolate(y, size=full.shape[-2:], mode="nearest"), full], dim=1))
        return torch.tanh(self.to_rgb(y))

    def example_input(self) -> Tensor:
        """A masked 64×64 image with a centre hole, for export/tracing."""
        mask = torch.zeros(1, 1, 64, 64)
        mask[..., 16:48, 16:48] = 1
        return masked_input(torch.zeros(1, 3, 64, 64), mask)


@dataclass(frozen=True)
class SNPatchGANConfig:
    in_channels: int = 4  # image + mask
    ndf: int = 64
    n_layers: int = 6


class SNPatchGANDiscriminator(nn.Module):
    """N×(3+1)×H×W → N×(4·ndf)×h×w raw hinge scores, h = H / 2**n_layers (rounded up)."""

    def __init__(self, config: SNPatchGANConfig = SNPatchGANConfig()):
        super().__init__()
        self.config = c = config
        layers: list[nn.Module] = []
        width = c.in_channels
        for i in range(c.n_layers):
            out = c.ndf * min(2**i, 4)
            layers.append(spectral_norm(nn.Conv2d(width, out, 5, stride=2, padding=2)))
            if i < c.n_layers - 1:
                layers.append(nn.LeakyReLU(0.2, inplace=True))
            width = out
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)
