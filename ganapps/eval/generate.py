"""Does the generator draw the data? Classifier-feature FID/KID and the class histogram; for a
class-conditional generator also whether it draws what was asked (:func:`asked_class_shares`).

The same figures for real *test* images against real *train* images are the floor: what a perfect
generator (one that draws fresh samples from the data distribution) would score.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganapps.data.idx import IDXImages
from ganapps.pipelines.base import load_net
from ganapps.weights import resolve

from .classifier import predict
from .distances import frechet_distance, kernel_distance

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def asked_class_shares(predicted: torch.Tensor, asked: torch.Tensor, classes: list[str]) -> dict[str, float]:
    """Per class, the share of the samples asked for it that the classifier calls it; "overall"
    over all samples.

    >>> asked_class_shares(torch.tensor([0, 1, 1, 1]), torch.tensor([0, 0, 1, 1]), ["a", "b"])
    {'a': 0.5, 'b': 1.0, 'overall': 0.75}
    """
    hit = (predicted == asked).double()
    shares = {name: hit[asked == c].mean().item() for c, name in enumerate(classes) if (asked == c).any()}
    return shares | {"overall": hit.mean().item()}


def evaluate_generator(model: str, data: Path, classifier: str, n: int = 10000, seed: int = 0) -> dict[str, Any]:
    from ganapps.pipelines.generate import GeneratePipeline

    clf, spec = load_net(resolve(classifier))
    classes = getattr(spec, "classes", None) or [str(i) for i in range(clf.config.num_classes)]
    test = IDXImages(data, "test")
    train = IDXImages(data, "train")
    real_test = test.float_images()
    gen = torch.Generator().manual_seed(seed)
    real_train = train.float_images(torch.randperm(len(train), generator=gen)[: len(test)])
    pipe = GeneratePipeline(resolve(model))
    if pipe.classes and pipe.classes != classes:
        raise ValueError(f"{model}'s classes ({', '.join(pipe.classes)}) are not the classifier's ({', '.join(classes)})")
    fake = pipe.tensors(n, seed=seed)  # a conditional model draws the classes in turn: sample i is class i mod K

    f_test, p_test = predict(clf, real_test)
    f_train, _ = predict(clf, real_train)
    f_fake, p_fake = predict(clf, fake)
    counts = torch.bincount(p_fake.argmax(1), minlength=len(classes)).double() / len(fake)
    asked = asked_class_shares(p_fake.argmax(1), torch.arange(n) % len(classes), classes) if pipe.classes else None
    return {
        "asked": asked,
        "n_real": len(real_test),
        "fid": frechet_distance(f_fake, f_test),
        "kid": kernel_distance(f_fake, f_test),
        "fid_floor": frechet_distance(f_train, f_test),
        "kid_floor": kernel_distance(f_train, f_test),
        "test_accuracy": (p_test.argmax(1) == test.labels).double().mean().item(),
        "confidence": p_fake.max(1).values.mean().item(),
        "histogram": dict(zip(classes, counts.tolist())),
    }


def evaluate_photo_generator(model: str, data: Path, n: int = 500, seed: int = 0) -> dict[str, Any]:
    """Two-sample test and memorisation check of an image-folder GAN (``ganapps.eval.two_sample``)
    against ``data/test`` (held-out photos; ``data`` itself if there is no test/) and
    ``data/train``; the real-train-vs-real-held-out accuracy gives the scale (≈ 50%)."""
    from ganapps.data.datasets import ImageFolder
    from ganapps.pipelines.generate import GeneratePipeline

    from .domain import stack
    from .two_sample import memorisation, two_sample_accuracy

    pipe = GeneratePipeline(resolve(model))
    size = pipe.spec.image_size or 64
    heldout = stack(ImageFolder(data / "test" if (data / "test").is_dir() else data, size))[:n]
    train = stack(ImageFolder(data / "train", size))
    fake = pipe.tensors(len(heldout), seed=seed)
    pick = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))[: len(heldout)]
    return {
        "n": len(heldout),
        "image_size": size,
        "two_sample_accuracy": two_sample_accuracy(heldout, fake, seed=seed),
        "real_vs_real_accuracy": two_sample_accuracy(heldout, train[pick], seed=seed),
        **memorisation(fake, train, heldout),
    }
