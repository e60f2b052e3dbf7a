"""VGG19 feature extractor for the SRGAN content loss, built here (torchvision is not a dependency).

The user supplies ImageNet weights in torchvision's ``vgg19`` state-dict layout (``features.N.weight``
...); the module indices below are torchvision's, so the file loads by name. Only the layers up to
``relu5_4`` (the paper's φ5,4: after the 4th conv and its ReLU, before the 5th max-pool) are built.
Not a registered net: it is a fixed loss network, never trained nor exported.
"""
from __future__ import annotations

import os
import pickle

import torch
from torch import Tensor, nn

# torchvision's VGG19 ("E") features: channel counts, "M" = 2×2 max-pool.
_LAYOUT = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]
_MEAN = (0.485, 0.456, 0.406)  # torchvision's ImageNet input normalisation
_STD = (0.229, 0.224, 0.225)


class VGG19Features(nn.Module):
    """Images N×3×H×W in [-1, 1] → VGG19 ``relu5_4`` features (frozen, eval mode)."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for v in _LAYOUT:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, v, 3, 1, 1), nn.ReLU(inplace=True)]
                channels = v
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.features(((x + 1) / 2 - self.mean) / self.std)


def load_vgg19_features(path: str | os.PathLike) -> VGG19Features:
    """Build :class:`VGG19Features` from a torchvision ``vgg19`` state dict (``torch.save`` file).

    Loaded with ``weights_only=True``: a file that would need to run code is refused.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, pickle.UnpicklingError) as e:
        raise ValueError(f"{path}: cannot load as a weights-only torch file ({str(e).splitlines()[0]})") from None
    net = VGG19Features()
    wanted = net.state_dict()
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict, found {type(state).__name__}")
    for k, t in wanted.items():
        got = state.get(k)
        if not isinstance(got, Tensor):
            raise ValueError(f"{path}: not a torchvision VGG19 state dict (no tensor {k!r})")
        if got.shape != t.shape:
            raise ValueError(f"{path}: {k!r} has shape {tuple(got.shape)}, VGG19 needs {tuple(t.shape)}")
    net.load_state_dict({k: state[k].float() for k in wanted})
    return net.eval().requires_grad_(False)
