"""Is there a face in it: the rate, the enlargement before detection, the people's drawings it is scored on."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ganapps.data.datasets import schematic_drawings
from ganapps.eval import face_detect
from ganapps.eval.face_detect import face_found_rate


def test_face_found_rate_is_the_share_of_images_with_a_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def bright_is_a_face(rgb: np.ndarray) -> list:  # a stand-in detector: "finds" a face in bright images
        seen.append(rgb.shape)
        return [(0, 0, 1, 1)] if rgb.mean() > 0.5 else []

    monkeypatch.setattr(face_detect, "detect_faces", bright_is_a_face)
    images = torch.cat([torch.full((3, 3, 20, 30), 0.8), torch.full((1, 3, 20, 30), -0.8)])
    assert face_found_rate(images) == 0.75
    assert seen == [(40, 60, 3)] * 4  # enlarged 2× before detection
    assert face_found_rate(images[:0]) == 0.0


def test_people_drawings_are_fixed_dark_strokes_on_white() -> None:
    d = schematic_drawings(4, 48)
    assert d.shape == (4, 3, 48, 48) and torch.equal(d, schematic_drawings(4, 48))
    assert torch.equal(d[:, 0], d[:, 1]) and torch.equal(d[:, 1], d[:, 2])  # grey drawings
    ink = (d[:, 0] < 0).float().mean((1, 2))
    assert ((ink > 0.02) & (ink < 0.3)).all()  # strokes, mostly paper
    assert not torch.equal(d[0], d[1])  # each its own drawing


def test_a_blank_page_has_no_face() -> None:
    assert face_found_rate(torch.ones(2, 3, 48, 48)) == 0.0  # the real detector, on white paper
