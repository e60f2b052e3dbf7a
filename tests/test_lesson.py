"""The lecture's toy GAN: hand-written gradients, convergence to D accuracy ≈ 50%, the CLI."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from ganapps.cli import app
from ganapps.lesson import (
    FACE,
    Discriminator,
    Generator,
    Z_SIZE,
    d_step,
    final_accuracy,
    g_step,
    latent,
    noise,
    real_faces,
    train,
)

runner = CliRunner()


def _numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def test_hand_written_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(1)
    g = Generator(rng.normal(size=(4, Z_SIZE)), rng.normal(size=4))
    d = Discriminator(rng.normal(size=4), 0.3)
    x, z = real_faces(1, rng)[0], latent(rng)
    fake = g(z)

    d_loss = lambda: -np.log(d(x)) - np.log(1 - d(fake))  # noqa: E731
    want_v = _numeric_grad(d_loss, d.v)
    c0 = d.c
    d.c = c0 + 1e-6
    up = d_loss()
    d.c = c0 - 1e-6
    want_c = (up - d_loss()) / 2e-6
    d.c = c0
    v0 = d.v.copy()
    d_step(d, x, fake, lr=1.0)  # with lr 1 the change is minus the gradient
    assert np.allclose(v0 - d.v, want_v, atol=1e-5) and np.isclose(c0 - d.c, want_c, atol=1e-5)

    g_loss = lambda: -np.log(d(g(z)))  # noqa: E731
    want_w, want_b = _numeric_grad(g_loss, g.w), _numeric_grad(g_loss, g.b)
    w0, b0 = g.w.copy(), g.b.copy()
    g_step(g, d, z, lr=1.0)
    assert np.allclose(w0 - g.w, want_w, atol=1e-5) and np.allclose(b0 - g.b, want_b, atol=1e-5)


def test_toy_gan_learns_faces_and_d_accuracy_ends_near_half() -> None:
    g, history = train(seed=0)
    assert history[0].accuracy > 0.75  # at the start D tells G's random pictures from faces
    assert 0.35 <= final_accuracy(history) <= 0.65
    rng = np.random.default_rng(5)
    fakes = np.stack([g(latent(rng)) for _ in range(200)])
    diagonal, other = fakes[:, FACE == 1].mean(), fakes[:, FACE == 0].mean()
    assert diagonal > noise(200, rng).mean() + 0.25 and other < 0.3  # dark diagonal, light elsewhere


def test_lesson_command_prints_each_epoch_and_writes_the_picture(tmp_path: Path) -> None:
    out = tmp_path / "lesson.png"
    r = runner.invoke(app, ["lesson", "--epochs", "12", "--plot", str(out)])
    assert r.exit_code == 0, r.output
    assert sum(line.strip().startswith(str(e) + " ") for e in range(1, 13) for line in r.output.splitlines()) >= 12
    assert "D accuracy over the last 10 epochs" in r.output
    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[0] < picture.shape[1]
