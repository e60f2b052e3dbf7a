"""The small A-vs-B (horse-vs-zebra) classifier that scores CycleGAN translations.

It is trained on ``trainA/`` and ``trainB/`` only, so the test images it later judges (real and
translated) are new to it. Augmentation is the GAN's own (load 12% larger, random crop, flip).
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from ganapps.data.datasets import ImageFolder, load_size_for
from ganapps.eval.classifier import fit
from ganapps.nets.domain_classifier import DomainClassifier, DomainClassifierConfig
from ganapps.tasks.augment import center_crop, crop_flip

CLASSES = ["A", "B"]


class _Labelled(Dataset):
    def __init__(self, images: ImageFolder, label: int):
        self.images, self.label = images, label

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        return self.images[i], self.label


def domain_images(root: Path, split: str, image_size: int) -> list[ImageFolder]:
    """``[{split}A, {split}B]`` at the classifier's load size (index = class)."""
    return [ImageFolder(root / f"{split}{d}", load_size_for(image_size)) for d in CLASSES]


def train_domain_classifier(
    root: Path, image_size: int = 128, epochs: int = 10, batch_size: int = 32, lr: float = 2e-3, seed: int = 0,
    progress: bool = True,
) -> DomainClassifier:
    """Adam with a one-cycle schedule on ``trainA`` (class 0) vs ``trainB`` (class 1)."""
    torch.manual_seed(seed)
    data = ConcatDataset([_Labelled(f, label) for label, f in enumerate(domain_images(root, "train", image_size))])
    loader = DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=len(data) > batch_size)
    net = DomainClassifier(DomainClassifierConfig(image_size=image_size))
    return fit(net, loader, epochs, lr, crop_flip(image_size), progress)


@torch.inference_mode()
def classify(net: DomainClassifier, images: Tensor, batch_size: int = 64) -> Tensor:
    """Predicted class per image (N×3×H×W in [-1, 1], any size): the view the net was trained on,
    i.e. resized to its load size and centre-cropped."""
    size = net.config.image_size
    device = next(net.parameters()).device
    preds = []
    for i in range(0, len(images), batch_size):
        x = images[i : i + batch_size].to(device)
        x = F.interpolate(x, size=(load_size_for(size),) * 2, mode="bilinear", antialias=True, align_corners=False)
        preds.append(net(center_crop(x, size)).argmax(1).cpu())
    return torch.cat(preds)


def stack(images: Dataset) -> Tensor:
    """All images of a dataset as one N×3×S×S tensor (test splits are small)."""
    return torch.stack([images[i] for i in range(len(images))])


def accuracy_on_test(net: DomainClassifier, root: Path) -> tuple[float, int]:
    """(accuracy, image count) on ``testA`` + ``testB``."""
    correct = total = 0
    for label, folder in enumerate(domain_images(root, "test", net.config.image_size)):
        preds = classify(net, stack(folder))
        correct += int((preds == label).sum())
        total += len(preds)
    return correct / total, total


def save_domain_classifier(net: DomainClassifier, path: Path, accuracy: float | None, data: Path) -> None:
    from ganapps.core.checkpoint import save_weights
    from ganapps.nets import spec_of

    spec = spec_of(net) | {"task": "classify-domains", "classes": CLASSES, "test_accuracy": accuracy, "data": str(data)}
    save_weights(path, net, spec)


def load_judge(name_or_path: str) -> DomainClassifier:
    """A shipped or given domain classifier (``--judge``), checked to be one."""
    from ganapps.core.checkpoint import CheckpointError
    from ganapps.pipelines.base import load_net
    from ganapps.weights import resolve

    net, spec = load_net(resolve(name_or_path))
    if spec.task != "classify-domains":
        raise CheckpointError(f"{name_or_path}: not a domain classifier (train one with 'ganapps train domain-classifier')")
    return net
