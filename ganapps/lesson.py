"""The lecture's toy GAN, written to be read next to the slides: ``ganapps lesson``.

The world of this GAN is 2×2 grayscale pictures, four numbers each, where 1 is a dark pixel and 0 a
white one. A *face* has a dark diagonal (top-left and bottom-right dark, the other two light);
*noise* is four uniform random numbers. Both nets are a single layer with a sigmoid:

* the generator turns four random numbers ``z`` into a picture: ``G(z) = σ(W·z + b)`` (4 outputs;
  a single random number would give pictures along one curve only, and even a one-layer D can
  tell such a thin set from the spread of real faces);
* the discriminator turns a picture into the probability that it is a real face:
  ``D(x) = σ(v·x + c)``.

Training alternates, one real face and one ``z`` at a time, with plain gradient steps on the
log-loss and every derivative written out (this is backpropagation through one layer):

1. D on a real face ``x``: loss ``−ln D(x)``; D learns to say "real".
2. D on a fake ``G(z)`` (G held fixed): loss ``−ln(1 − D(G(z)))``; D learns to say "fake".
3. G (D held fixed): loss ``−ln D(G(z))``; G learns to make D say "real".

As G's pictures come to look like faces, a one-layer D can no longer tell them apart, and its
accuracy falls towards 50%: the end the lecture describes. It does not settle there: each side
keeps answering the other's last move, so epoch by epoch the accuracy swings around 50% (the
oscillation real GANs show too), and the figure to read is its average over the last epochs. Nothing here uses torch; numpy keeps
every line visible.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

FACE = np.array([1.0, 0.0, 0.0, 1.0])  # top-left, top-right, bottom-left, bottom-right: a dark diagonal


def sigmoid(t: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-t))


def real_faces(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` faces, n×4: diagonal pixels dark (0.75–1), the others light (0–0.25)."""
    dark = rng.uniform(0.75, 1.0, (n, 4))
    light = rng.uniform(0.0, 0.25, (n, 4))
    return np.where(FACE == 1, dark, light)


def noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` pictures of pure noise, n×4, uniform on [0, 1]."""
    return rng.uniform(0.0, 1.0, (n, 4))


Z_SIZE = 4  # random numbers per generated picture


def latent(rng: np.random.Generator) -> np.ndarray:
    """The generator's input: ``Z_SIZE`` numbers, uniform on [−1, 1]."""
    return rng.uniform(-1.0, 1.0, Z_SIZE)


@dataclass
class Generator:
    """``G(z) = σ(W·z + b)``: ``Z_SIZE`` random numbers in, four pixels out."""

    w: np.ndarray  # 4 × Z_SIZE
    b: np.ndarray  # 4

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return sigmoid(self.w @ z + self.b)


@dataclass
class Discriminator:
    """``D(x) = σ(v·x + c)``: four pixels in, the probability of "real face" out."""

    v: np.ndarray
    c: float

    def __call__(self, x: np.ndarray) -> float:
        return float(sigmoid(x @ self.v + self.c))


@dataclass
class EpochReport:
    epoch: int
    d_loss: float  # mean over the epoch's steps of −ln D(x) − ln(1 − D(G(z)))
    g_loss: float  # mean of −ln D(G(z))
    acc_real: float  # share of fresh real faces D calls real (D > 0.5)
    acc_fake: float  # share of fresh fakes D calls fake

    @property
    def accuracy(self) -> float:
        return (self.acc_real + self.acc_fake) / 2


def d_step(d: Discriminator, x: np.ndarray, fake: np.ndarray, lr: float) -> float:
    """Steps 1 and 2: push D(x) up and D(fake) down; returns the D loss before the step."""
    p_real, p_fake = d(x), d(fake)
    # d/dv of −ln σ(v·x + c) is −(1 − D(x))·x; of −ln(1 − σ(v·f + c)) it is D(f)·f.
    grad_v = -(1 - p_real) * x + p_fake * fake
    grad_c = -(1 - p_real) + p_fake
    d.v -= lr * grad_v
    d.c -= lr * grad_c
    return float(-np.log(p_real) - np.log(1 - p_fake))


def g_step(g: Generator, d: Discriminator, z: np.ndarray, lr: float) -> float:
    """Step 3: push D(G(z)) up by changing G only; returns the G loss before the step."""
    fake = g(z)
    p = d(fake)
    # Chain rule: −ln D(G) → through D's sigmoid: −(1 − D)·v → through G's sigmoid: ·G(1 − G) → ·zᵀ for W.
    grad_pixels = -(1 - p) * d.v * fake * (1 - fake)
    g.w -= lr * np.outer(grad_pixels, z)
    g.b -= lr * grad_pixels
    return float(-np.log(p))


def accuracy(g: Generator, d: Discriminator, rng: np.random.Generator, n: int = 200) -> tuple[float, float]:
    """(share of fresh real faces called real, share of fresh fakes called fake)."""
    real = np.mean([d(x) > 0.5 for x in real_faces(n, rng)])
    fake = np.mean([d(g(latent(rng))) < 0.5 for _ in range(n)])
    return float(real), float(fake)


def final_accuracy(history: list[EpochReport], last: int = 10) -> float:
    """D's accuracy averaged over the ``last`` epochs (the per-epoch figure swings around 50%)."""
    return float(np.mean([r.accuracy for r in history[-last:]]))


def training(epochs: int = 100, steps: int = 100, lr: float = 0.05, seed: int = 0) -> Iterator[tuple[Generator, EpochReport]]:
    """Train the toy GAN, yielding (G, that epoch's report) after each of ``epochs`` epochs of
    ``steps`` alternating D and G steps, one sample each (the demo draws the curve as it goes)."""
    rng = np.random.default_rng(seed)
    g = Generator(rng.normal(size=(4, Z_SIZE)), rng.normal(size=4))
    d = Discriminator(rng.normal(size=4), float(rng.normal()))
    for epoch in range(1, epochs + 1):
        d_losses, g_losses = [], []
        for _ in range(steps):
            x, z = real_faces(1, rng)[0], latent(rng)
            d_losses.append(d_step(d, x, g(z), lr))
            g_losses.append(g_step(g, d, z, lr))
        acc_real, acc_fake = accuracy(g, d, rng)
        yield g, EpochReport(epoch, float(np.mean(d_losses)), float(np.mean(g_losses)), acc_real, acc_fake)


def train(epochs: int = 100, steps: int = 100, lr: float = 0.05, seed: int = 0) -> tuple[Generator, list[EpochReport]]:
    """The whole of :func:`training`: the trained G and every epoch's report."""
    g, history = None, []
    for g, report in training(epochs, steps, lr, seed):
        history.append(report)
    return g, history


def picture(g: Generator, seed: int = 0, n: int = 6, cell: int = 24) -> np.ndarray:
    """Rows of real faces, G's faces and noise, each 2×2 picture drawn ``cell`` px a pixel
    (dark = 1), as an RGB uint8 image with a white margin between pictures."""
    rng = np.random.default_rng(seed)
    rows = [real_faces(n, rng), np.stack([g(latent(rng)) for _ in range(n)]), noise(n, rng)]
    gap, side = cell // 2, 2 * cell
    canvas = np.full((3 * (side + gap) + gap, n * (side + gap) + gap), 255, np.uint8)
    for r, row in enumerate(rows):
        for i, pixels in enumerate(row):
            tile = np.kron((1 - pixels.reshape(2, 2)) * 255, np.ones((cell, cell)))
            y, x = gap + r * (side + gap), gap + i * (side + gap)
            canvas[y : y + side, x : x + side] = tile.round().astype(np.uint8)
    return np.repeat(canvas[:, :, None], 3, axis=2)
