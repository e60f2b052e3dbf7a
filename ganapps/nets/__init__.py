"""Network registry: architecture name → (config dataclass, module class).

Every net keeps its hyper-parameters in a small dataclass (``net.config``); the pair ``{"arch",
"config"}`` is what a weights file stores, so :func:`build` rebuilds any net from a file alone.
The registry is an explicit table, not import-time magic: adding a net is one line here.
"""
from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from torch import nn

from .classifier import SmallClassifier, SmallClassifierConfig
from .compact_sr import CompactSR, CompactSRConfig
from .dcgan import DCGANDiscriminator, DCGANDiscriminatorConfig, DCGANGenerator, DCGANGeneratorConfig
from .domain_classifier import DomainClassifier, DomainClassifierConfig
from .imagegan import ImageGANDiscriminator, ImageGANDiscriminatorConfig, ImageGANGenerator, ImageGANGeneratorConfig
from .inpaint_net import InpaintGenerator, InpaintGeneratorConfig, SNPatchGANConfig, SNPatchGANDiscriminator
from .patchgan import PatchGANConfig, PatchGANDiscriminator
from .resnet_gen import ResNetGenerator, ResNetGeneratorConfig
from .rrdbnet import RRDBNet, RRDBNetConfig
from .srgan_disc import SRGANDiscriminator, SRGANDiscriminatorConfig
from .srresnet import SRResNet, SRResNetConfig
from .unet import UNetGenerator, UNetGeneratorConfig
from .unet_disc import UNetDiscriminator, UNetDiscriminatorConfig

ARCHS: dict[str, tuple[type, type[nn.Module]]] = {
    "dcgan_generator": (DCGANGeneratorConfig, DCGANGenerator),
    "dcgan_discriminator": (DCGANDiscriminatorConfig, DCGANDiscriminator),
    "small_classifier": (SmallClassifierConfig, SmallClassifier),
    "resnet_generator": (ResNetGeneratorConfig, ResNetGenerator),
    "unet_generator": (UNetGeneratorConfig, UNetGenerator),
    "patchgan_discriminator": (PatchGANConfig, PatchGANDiscriminator),
    "domain_classifier": (DomainClassifierConfig, DomainClassifier),
    "srresnet": (SRResNetConfig, SRResNet),
    "rrdbnet": (RRDBNetConfig, RRDBNet),
    "srgan_discriminator": (SRGANDiscriminatorConfig, SRGANDiscriminator),
    "inpaint_generator": (InpaintGeneratorConfig, InpaintGenerator),
    "snpatchgan_discriminator": (SNPatchGANConfig, SNPatchGANDiscriminator),
    "imagegan_generator": (ImageGANGeneratorConfig, ImageGANGenerator),
    "imagegan_discriminator": (ImageGANDiscriminatorConfig, ImageGANDiscriminator),
    "compact_sr": (CompactSRConfig, CompactSR),
    "unet_discriminator": (UNetDiscriminatorConfig, UNetDiscriminator),
}


def spec_of(net: nn.Module) -> dict[str, Any]:
    """``{"arch", "config"}`` of a registered net, as stored in weights metadata."""
    for arch, (_, cls) in ARCHS.items():
        if type(net) is cls:
            return {"arch": arch, "config": asdict(net.config)}
    raise TypeError(f"{type(net).__name__} is not a registered ganapps net")


def build(arch: str, config: dict[str, Any]) -> nn.Module:
    """Instantiate a registered net from its stored config (unknown keys are an error)."""
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(sorted(ARCHS))}")
    config_cls, net_cls = ARCHS[arch]
    known = {f.name for f in fields(config_cls)}
    unknown = set(config) - known
    if unknown:
        raise ValueError(f"config for {arch!r} has unknown keys: {', '.join(sorted(unknown))}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
    return net_cls(config_cls(**values))
