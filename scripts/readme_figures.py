"""Draw the README's result figures from the shipped weights and ../shared data, into docs/images/.

Usage: ``python scripts/readme_figures.py [--data ../shared/data]``

Test images are taken at fixed, evenly spaced positions in each sorted test folder (not picked by
hand), so the figures show typical results, failures included. A figure whose weights are not
shipped yet is skipped with a note.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from ganapps.data.degrade import degrade, imresize, modcrop
from ganapps.data.io import Image, from_tensor, read_image, to_tensor
from ganapps.data.masks import random_mask
from ganapps.data.sketch import photo_to_sketch
from ganapps.eval.opencv_inpaint import OPENCV_RADIUS
from ganapps.eval.two_sample import nearest
from ganapps.pipelines.faces import detect_faces
from ganapps.pipelines.generate import GeneratePipeline
from ganapps.pipelines.inpaint import InpaintPipeline
from ganapps.pipelines.translate import TranslatePipeline
from ganapps.pipelines.upscale import UpscalePipeline
from ganapps.weights import weights_dir

OUT = Path(__file__).resolve().parent.parent / "docs" / "images"
CELL = 160  # panel side in the figures, px


def evenly(items: list, n: int) -> list:
    """``n`` of ``items`` at evenly spaced positions, first and last included."""
    return [items[round(i * (len(items) - 1) / max(n - 1, 1))] for i in range(n)]


def spaced(folder: Path, n: int) -> list[Path]:
    """``n`` files at evenly spaced positions of the sorted folder."""
    return evenly(sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png")), n)


def panel(rgb: np.ndarray, label: str = "", side: int = CELL) -> np.ndarray:
    """Resize an RGB float image to ``side`` px high (aspect kept) as uint8, with a caption strip."""
    h, w = rgb.shape[:2]
    img = cv2.resize(rgb, (round(w * side / h), side), interpolation=cv2.INTER_AREA if h > side else cv2.INTER_NEAREST)
    img = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
    if label:
        cv2.rectangle(img, (0, 0), (img.shape[1], 18), (0, 0, 0), -1)
        cv2.putText(img, label, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1, cv2.LINE_AA)
    return img


def grid(rows: list[list[np.ndarray]], gap: int = 4) -> np.ndarray:
    """Panels left to right, rows top to bottom, white gaps; rows padded to the widest."""
    lines = [np.concatenate([np.pad(p, ((0, 0), (0, gap), (0, 0)), constant_values=255) for p in row], 1) for row in rows]
    width = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, gap), (0, width - line.shape[1]), (0, 0)), constant_values=255) for line in lines]
    return np.concatenate(lines, 0)


def save(name: str, image: np.ndarray) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(OUT / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {OUT / name}")


def shipped(name: str) -> Path | None:
    path = weights_dir() / f"{name}.safetensors"
    if not path.exists():
        print(f"skipped: {name} is not shipped")
        return None
    return path


def horse_zebra(data: Path) -> None:
    rows = []
    for task, folder, what in (("zebra2horse", "testB", "horse"), ("horse2zebra", "testA", "zebra")):
        if (weights := shipped(task)) is None:
            return
        pipe = TranslatePipeline(weights)
        inputs = [read_image(p).rgb for p in spaced(data / "horse2zebra" / folder, 4)]
        rows.append([p for x in inputs for p in (panel(x, "input"), panel(pipe(Image(x)).rgb, f"-> {what}"))])
    save("translate-horse-zebra.jpg", grid(rows))


def halves(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """An aligned pix2pix file's (left, right) halves."""
    rgb = read_image(path).rgb
    w = rgb.shape[1] // 2
    return rgb[:, :w], rgb[:, w:]


def facades(data: Path) -> None:
    if (weights := shipped("facades")) is None:
        return
    pipe = TranslatePipeline(weights)
    rows = []
    for path in spaced(data / "facades" / "test", 4):
        photo, labels = halves(path)
        rows.append([panel(labels, "label map"), panel(pipe(Image(labels)).rgb, "ours"), panel(photo, "real photo")])
    save("translate-facades.jpg", grid([rows[0] + rows[1], rows[2] + rows[3]]))


def hand_drawn_face(height: int = 109, width: int = 89) -> np.ndarray:
    """What a person draws for "a face": a black oval, two circles for eyes, a nose line and a
    mouth, with a pen on white paper (H×W×3 in [0, 1]); nothing of it comes from a photo."""
    paper = np.full((height, width, 3), 255, np.uint8)
    cx, cy = width // 2, height // 2
    ink, pen = (20, 20, 20), max(1, round(width / 45))
    cv2.ellipse(paper, (cx, cy), (round(width * 0.33), round(height * 0.36)), 0, 0, 360, ink, pen, cv2.LINE_AA)
    for dx in (-1, 1):
        cv2.circle(paper, (cx + dx * round(width * 0.13), cy - round(height * 0.08)), max(2, round(width * 0.05)), ink, pen, cv2.LINE_AA)
    cv2.line(paper, (cx, cy - round(height * 0.04)), (cx - round(width * 0.03), cy + round(height * 0.09)), ink, pen, cv2.LINE_AA)
    cv2.ellipse(paper, (cx, cy + round(height * 0.17)), (round(width * 0.11), round(height * 0.04)), 0, 10, 170, ink, pen,
                cv2.LINE_AA)
    return paper.astype(np.float32) / 255


def sketches(data: Path) -> None:
    if (weights := shipped("sketch2photo")) is None:
        return
    pipe = TranslatePipeline(weights)
    drawn = hand_drawn_face()
    save("translate-hand-drawing.jpg", grid([[panel(drawn, "hand drawing"), panel(pipe(Image(drawn)).rgb, "ours")]]))
    row = []
    for path in spaced(data / "faces" / "test", 6):
        photo = read_image(path).rgb
        sketch = np.repeat(photo_to_sketch(photo)[..., None], 3, axis=2)
        row.append([panel(sketch, "drawing"), panel(pipe(Image(sketch)).rgb, "ours"), panel(photo, "real")])
    save("translate-sketch2photo.jpg", grid([sum(row[:3], []), sum(row[3:], [])]))


def upscale(data: Path) -> None:
    models = {name: shipped(f"{name}-x4") for name in ("srresnet", "srgan")}
    rows = []
    for path in [*spaced(data / "sr" / "Set14", 3), *spaced(data / "sr" / "BSD100", 2)]:
        hr = modcrop(to_tensor(read_image(path).rgb), 4)
        lr = degrade(hr, 4)
        y, x = (n // 2 - 64 for n in hr.shape[-2:])  # the central 128×128 crop
        crop = (slice(y, y + 128), slice(x, x + 128))
        row = [panel(from_tensor(imresize(lr, 4))[crop], "bicubic")]
        for model, weights in models.items():
            if weights is not None:
                row.append(panel(UpscalePipeline(weights)(Image(from_tensor(lr))).rgb[crop], model))
        rows.append(row + [panel(from_tensor(hr)[crop], "original")])
    save("upscale-x4-crops.jpg", grid(rows))


def inpaint(data: Path) -> None:
    if (weights := shipped("inpaint-faces")) is None:
        return
    pipe = InpaintPipeline(weights)
    rows = []
    for i, path in enumerate(spaced(data / "faces" / "test", 6)):
        image = read_image(path)
        hole = random_mask(image.size, (0.2, 0.4), np.random.default_rng(i)).astype(bool)
        masked = np.where(hole[..., None], 1.0, image.rgb)
        rgb8 = (image.rgb * 255).round().astype(np.uint8)
        telea = cv2.inpaint(rgb8, hole.astype(np.uint8), OPENCV_RADIUS, cv2.INPAINT_TELEA) / 255.0
        rows.append([panel(image.rgb, "original"), panel(masked, "masked"), panel(telea, "Telea"),
                     panel(pipe(image, hole).rgb, "ours")])
    save("inpaint-faces.jpg", grid([rows[0] + rows[1], rows[2] + rows[3], rows[4] + rows[5]]))


def astronaut_box() -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]] | None:
    """scikit-image's astronaut (512×512, NASA, public domain; needs ``pip install scikit-image``),
    a white box over her eyes and nose (issue 14's case), and the face's surroundings to show."""
    try:
        from skimage.data import astronaut
    except ImportError:
        print("skipping the astronaut figure: pip install scikit-image")
        return None
    rgb = astronaut().astype(np.float32) / 255
    x0, y0, x1, y1 = detect_faces(rgb)[0]
    w, h = x1 - x0, y1 - y0
    hole = np.zeros(rgb.shape[:2], bool)
    hole[round(y0 + 0.2 * h) : round(y0 + 0.75 * h), round(x0 + 0.1 * w) : round(x1 - 0.1 * w)] = True
    view = (max(0, round(y0 - 0.6 * h)), round(y1 + 0.6 * h), max(0, round(x0 - 0.6 * w)), round(x1 + 0.6 * w))
    return rgb, hole, view


def inpaint_in_photo() -> None:
    if (weights := shipped("inpaint-faces")) is None or (case := astronaut_box()) is None:
        return
    rgb, hole, (t, b, l, r) = case
    masked = np.where(hole[..., None], 1.0, rgb)
    telea = cv2.inpaint((rgb * 255).round().astype(np.uint8), hole.astype(np.uint8), OPENCV_RADIUS, cv2.INPAINT_TELEA) / 255.0
    ours = InpaintPipeline(weights)(Image(rgb), hole).rgb
    crops = [a[t:b, l:r] for a in (rgb, masked, telea, ours)]
    side = 2 * CELL
    save("inpaint-astronaut.jpg", grid([[panel(c, label, side) for c, label in zip(crops, ("original", "masked", "Telea", "ours"))]]))


def faces(data: Path) -> None:
    """Faces that are not real: the seed-0 grid, each of its first eight samples above the training
    face nearest to it (the memorisation check, shown), and a latent walk."""
    if (weights := shipped("faces")) is None:
        return
    from ganapps.core.logging import write_gif
    from ganapps.data.datasets import ImageFolder

    pipe = GeneratePipeline(weights)
    save("faces-grid.jpg", cv2.resize(pipe.grid(32, seed=0), None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST))
    train = ImageFolder(data / "faces" / "train", pipe.spec.image_size)
    photos = train.stack(train.files)
    samples = pipe.tensors(8, seed=0)
    _, index = nearest(samples, photos)
    rows = [[panel(from_tensor(t), label) for t in batch]
            for batch, label in ((samples, "generated"), (photos[index], "nearest in training"))]
    save("faces-nearest.jpg", grid(rows))
    frames = pipe.walk(8, seed=0, keyframes=3, steps=10)
    write_gif(OUT / "faces-walk.gif", frames, ms_per_frame=80)
    print(f"wrote {OUT / 'faces-walk.gif'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    for figure in (horse_zebra, facades, sketches, upscale, inpaint, faces):
        figure(args.data)
    inpaint_in_photo()  # scikit-image's photo, not ../shared


if __name__ == "__main__":
    main()
