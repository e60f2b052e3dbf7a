"""Training and using the small classifier that provides features for FID/KID on 28-px data."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from rich.progress import Progress
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from ganapps.nets.classifier import SmallClassifier, SmallClassifierConfig


def fit(net: nn.Module, loader: DataLoader, epochs: int, lr: float, augment: Callable[[Tensor], Tensor], progress: bool) -> nn.Module:
    """Cross-entropy, Adam with a one-cycle schedule: how both of our small judges are trained."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(loader))
    net.train()
    with Progress(disable=not progress) as bar:
        task = bar.add_task("classifier", total=epochs * len(loader))
        for _ in range(epochs):
            for x, y in loader:
                loss = F.cross_entropy(net(augment(x)), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                bar.advance(task)
    return net.eval()


def _shift(x: Tensor) -> Tensor:
    """The whole batch moved by a random ±2 px (clothes are centred; a judge should not rely on it)."""
    dx, dy = torch.randint(-2, 3, (2,)).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def train_classifier(
    train: Dataset, epochs: int = 8, batch_size: int = 128, lr: float = 2e-3, seed: int = 0, progress: bool = True
) -> SmallClassifier:
    """The Fashion-MNIST judge: random ±2 px shifts as augmentation."""
    torch.manual_seed(seed)
    net = SmallClassifier(SmallClassifierConfig())
    loader = DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True)
    return fit(net, loader, epochs, lr, _shift, progress)


@torch.inference_mode()
def predict(net: SmallClassifier, images: Tensor, batch_size: int = 500) -> tuple[Tensor, Tensor]:
    """(features N×D, class probabilities N×K) for images in [-1, 1]."""
    feats, probs = [], []
    for i in range(0, len(images), batch_size):
        f = net.features(images[i : i + batch_size])
        feats.append(f)
        probs.append(net.head(f).softmax(1))
    return torch.cat(feats), torch.cat(probs)


def accuracy(net: SmallClassifier, images: Tensor, labels: Tensor) -> float:
    _, probs = predict(net, images)
    return (probs.argmax(1) == labels).float().mean().item()


def save_classifier(net: SmallClassifier, path: Path, test_accuracy: float, classes: list[str]) -> None:
    from ganapps.core.checkpoint import save_weights
    from ganapps.nets import spec_of

    spec = spec_of(net) | {"task": "classify", "test_accuracy": test_accuracy, "classes": classes}
    save_weights(path, net, spec)
