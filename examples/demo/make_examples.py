"""Redraw the demo's example inputs (``ganapps demo``, each tab's "Examples"): small synthetic
pictures drawn with OpenCV, so none of them comes from a dataset, plus one face that the shipped
sketch2photo model draws from the example drawing.

    python examples/demo/make_examples.py
"""
from pathlib import Path

import cv2
import numpy as np

import ganapps
from ganapps.core.logging import write_png
from ganapps.data.io import Image

HERE = Path(__file__).resolve().parent
INK, PAPER = (20, 20, 20), (255, 255, 255)


def drawing(side: int = 256) -> np.ndarray:
    """A face as a person draws one: oval, eyes, eyebrows, nose, mouth, hair line."""
    a = np.full((side, side, 3), 255, np.uint8)
    c, pen, s = side // 2, 2, side / 256
    p = lambda x, y: (round(c + x * s), round(c + y * s))  # noqa: E731
    cv2.ellipse(a, p(0, 8), (round(78 * s), round(100 * s)), 0, 0, 360, INK, pen, cv2.LINE_AA)
    cv2.ellipse(a, p(0, -20), (round(84 * s), round(96 * s)), 0, 190, 350, INK, pen, cv2.LINE_AA)
    for dx in (-1, 1):
        cv2.ellipse(a, p(dx * 32, -14), (round(15 * s), round(7 * s)), 0, 0, 360, INK, pen, cv2.LINE_AA)
        cv2.circle(a, p(dx * 32, -14), round(4 * s), INK, -1, cv2.LINE_AA)
        cv2.ellipse(a, p(dx * 32, -30), (round(18 * s), round(6 * s)), 0, 200, 340, INK, pen, cv2.LINE_AA)
    cv2.polylines(a, [np.array([p(0, -8), p(-8, 26), p(6, 30)])], False, INK, pen, cv2.LINE_AA)
    cv2.ellipse(a, p(0, 56), (round(26 * s), round(10 * s)), 0, 10, 170, INK, pen, cv2.LINE_AA)
    return a


def animal(body: tuple[int, int, int], stripes: bool, w: int = 192, h: int = 128) -> np.ndarray:
    """A side view of a horse-shaped animal on grass under a sky; zebra stripes if asked."""
    a = np.zeros((h, w, 3), np.uint8)
    a[: h // 2] = (150, 190, 230)
    a[h // 2 :] = (90, 140, 60)
    shape = np.zeros((h, w), np.uint8)
    cv2.ellipse(shape, (96, 64), (44, 20), 0, 0, 360, 255, -1)
    for x in (64, 76, 112, 124):
        cv2.rectangle(shape, (x, 70), (x + 6, 112), 255, -1)
    cv2.line(shape, (132, 56), (152, 30), 255, 14)
    cv2.ellipse(shape, (160, 30), (14, 8), 20, 0, 360, 255, -1)
    a[shape > 0] = body
    if stripes:
        ys, xs = np.nonzero(shape)
        dark = (np.sin((xs + 0.35 * ys) / 3.0) > 0.2)
        a[ys[dark], xs[dark]] = (25, 25, 25)
    return cv2.GaussianBlur(a, (3, 3), 0)


def facade_labels(side: int = 128) -> np.ndarray:
    """A CMP-style label map: background, wall, rows of windows with sills, a cornice, a door."""
    a = np.full((side, side, 3), (0, 0, 222), np.uint8)
    cv2.rectangle(a, (8, 10), (side - 9, side - 1), (0, 48, 255), -1)
    cv2.rectangle(a, (8, 10), (side - 9, 16), (255, 80, 0), -1)
    for row in range(4):
        y = 24 + row * 24
        for col in range(5):
            x = 16 + col * 20
            if row == 3 and col == 2:
                continue
            cv2.rectangle(a, (x, y), (x + 10, y + 14), (0, 128, 255), -1)
            cv2.rectangle(a, (x - 1, y + 15), (x + 11, y + 16), (32, 255, 224), -1)
    cv2.rectangle(a, (58, 98), (70, side - 1), (255, 160, 0), -1)
    return a


def hole_layer(side: int = 128) -> np.ndarray:
    """A painted brush stroke (RGBA, transparent elsewhere), as the image editor's layer holds it."""
    a = np.zeros((side, side, 4), np.uint8)
    cv2.line(a, (36, 46), (70, 66), (255, 0, 255, 255), 12, cv2.LINE_AA)
    return a


def main() -> None:
    lines = drawing()
    write_png(HERE / "drawing.png", lines)
    small = cv2.resize(lines, (128, 128), interpolation=cv2.INTER_AREA)
    face = ganapps.load("sketch2photo")(Image(small.astype(np.float32) / 255))
    write_png(HERE / "face.png", (np.clip(face.rgb, 0, 1) * 255 + 0.5).astype(np.uint8))
    write_png(HERE / "face-hole.png", hole_layer())
    write_png(HERE / "zebra.png", animal((235, 235, 235), stripes=True))
    write_png(HERE / "horse.png", animal((120, 75, 40), stripes=False))
    write_png(HERE / "facade-labels.png", facade_labels())
    print(f"wrote the demo's examples to {HERE}")


if __name__ == "__main__":
    main()
