"""Each GAN loss has the right sign and value on hand-made logits."""
import math

import pytest
import torch

from ganapps.core.losses import LOSSES, get_loss, gradient_penalty

BIG = torch.full((8,), 20.0)
ZERO = torch.zeros(8)


def test_vanilla_values():
    loss = LOSSES["vanilla"]
    assert loss.d(ZERO, ZERO).item() == pytest.approx(2 * math.log(2))
    assert loss.g(ZERO).item() == pytest.approx(math.log(2))
    assert loss.d(BIG, -BIG).item() < 1e-6  # a perfect discriminator pays nothing
    assert loss.d(-BIG, BIG).item() > 39  # a fooled one pays ~2×20
    assert loss.g(BIG).item() < 1e-6 and loss.g(-BIG).item() > 19


def test_lsgan_values():
    loss = LOSSES["lsgan"]
    assert loss.d(torch.ones(8), torch.zeros(8)).item() == 0
    assert loss.d(torch.zeros(8), torch.ones(8)).item() == pytest.approx(1.0)
    assert loss.g(torch.ones(8)).item() == 0
    assert loss.g(torch.zeros(8)).item() == pytest.approx(1.0)


def test_hinge_values():
    loss = LOSSES["hinge"]
    assert loss.d(torch.full((8,), 2.0), torch.full((8,), -2.0)).item() == 0  # beyond the margins
    assert loss.d(ZERO, ZERO).item() == pytest.approx(2.0)
    assert loss.g(torch.full((8,), 3.0)).item() == pytest.approx(-3.0)


def test_wgan_values():
    loss = LOSSES["wgan-gp"]
    real, fake = torch.full((8,), 5.0), torch.full((8,), 2.0)
    assert loss.d(real, fake).item() == pytest.approx(-3.0)  # critic wants real scored above fake
    assert loss.g(fake).item() == pytest.approx(-2.0)


def test_accuracy_thresholds():
    real, fake = torch.tensor([1.0, 1.0, -1.0, 1.0]), torch.tensor([-1.0, -1.0, -1.0, 1.0])
    assert LOSSES["vanilla"].accuracy(real, fake) == (0.75, 0.75)
    # LSGAN's decision boundary is 0.5, between its targets 0 and 1.
    assert LOSSES["lsgan"].accuracy(torch.tensor([0.6, 0.4]), torch.tensor([0.4, 0.6])) == (0.5, 0.5)
    # WGAN: midpoint of the batch means, so only the ordering counts.
    assert LOSSES["wgan-gp"].accuracy(torch.tensor([10.0, 11.0]), torch.tensor([7.0, 8.0])) == (1.0, 1.0)


def test_gradient_penalty_is_zero_for_unit_gradient():
    w = torch.tensor([0.6, 0.8])  # ||w|| = 1
    d = lambda x: x @ w  # noqa: E731
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    assert gradient_penalty(d, real, fake).item() == pytest.approx(0.0, abs=1e-10)
    d3 = lambda x: x @ (3 * w)  # noqa: E731 - ||grad|| = 3 → (3 - 1)^2 = 4
    assert gradient_penalty(d3, real, fake).item() == pytest.approx(4.0)


def test_unknown_loss_is_a_clear_error():
    with pytest.raises(ValueError, match="lsgan"):
        get_loss("least-squares")
