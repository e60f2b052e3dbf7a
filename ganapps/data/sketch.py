"""Photo → black-on-white line drawing, and a user's own drawing → the same style.

Training a sketch→photo model needs (sketch, photo) pairs; :func:`photo_to_sketch` makes the
sketch from any photo with XDoG (eXtended Difference of Gaussians, Winnemöller et al. 2012): the
difference of two Gaussian blurs is negative just on the dark side of an edge, and a steep tanh
turns it into an ink stroke. An edge-preserving (bilateral) pre-filter and the removal of tiny ink
specks keep JPEG noise and fur texture from turning into stipple that no person would draw.

A person's drawing differs from XDoG output in paper colour, pen darkness and stroke width; the
model has only seen XDoG strokes, so :func:`normalise_drawing` maps the drawing onto that style:
paper to white, ink to black, strokes thinned or thickened to the XDoG width. Both functions are
deterministic (no randomness), so a dataset built on them is too.

A person's drawing is also far *simpler* than XDoG of a photo: an oval, two eyes, a nose line, a
mouth. :func:`varied_sketch` makes training drawings across that range — coarser edge scales
(fewer, bolder lines), small strokes erased, thinner or thicker pens — from a generator the
caller seeds (the dataset seeds it with the item index, so items stay a function of the index).
Simpler still is what people draw when asked for "a face": a closed oval, two small circles, a nose
line, a mouth arc. No edge detector gives that from a photo, so :func:`schematic_face` draws it,
at the places where the aligned training faces have their features (and with the proportions
people give them: a bigger head, eyes a little high or low), for a share of the training photos.
"""
from __future__ import annotations

import cv2
import numpy as np

REFERENCE_SIDE = 143  # the side the defaults below were tuned at (128-px training, 143-px load size)
XDOG_SIGMA = 1.0  # inner blur at REFERENCE_SIDE; scales with the image
XDOG_K = 1.6  # outer blur = K × inner (the DoG ratio that approximates a Laplacian of Gaussian)
XDOG_TAU = 0.985  # weight of the outer blur: < 1 leaves flat regions white
XDOG_EPS = -0.003  # threshold on the DoG response
XDOG_PHI = 300.0  # steepness of the soft threshold: high is nearly binary ink
MIN_SPECK = 12  # ink components smaller than this many pixels (at REFERENCE_SIDE) are erased
STROKE_WIDTH = 2.6  # median XDoG stroke width at REFERENCE_SIDE on CelebA faces, pixels


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb, dtype=np.float32), cv2.COLOR_RGB2GRAY)


def _scale(shape: tuple[int, ...]) -> float:
    return min(shape[:2]) / REFERENCE_SIDE


def _erase_specks(sketch: np.ndarray, min_area: float) -> np.ndarray:
    ink = (sketch < 0.5).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < min_area
    small[0] = False  # label 0 is the paper
    out = sketch.copy()
    out[small[labels]] = 1.0
    return out


def photo_to_sketch(rgb: np.ndarray, detail: float = 1.0, speck: float = 1.0) -> np.ndarray:
    """H×W×3 float RGB in [0, 1] → H×W float32 line drawing in [0, 1] (1 = paper, 0 = ink).

    Blur widths and the speck size scale with the shorter side, so a photo and the same photo at
    twice the size give the same drawing at twice the size. ``detail`` > 1 multiplies the edge
    scale (fewer, coarser lines); ``speck`` multiplies the area below which strokes are erased.
    """
    scale = _scale(rgb.shape)
    sigma = XDOG_SIGMA * scale * detail
    gray = cv2.bilateralFilter(_gray(rgb), 0, 0.1, 2 * sigma)
    dog = cv2.GaussianBlur(gray, (0, 0), sigma) - XDOG_TAU * cv2.GaussianBlur(gray, (0, 0), XDOG_K * sigma)
    sketch = np.where(dog >= XDOG_EPS, 1.0, 1.0 + np.tanh(XDOG_PHI * (dog - XDOG_EPS)))
    return _erase_specks(np.clip(sketch, 0, 1).astype(np.float32), MIN_SPECK * speck * scale**2)


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width of a binary ink mask: area / (perimeter / 2), as a long thin stroke of
    width w and length L has area L·w and perimeter about 2L. 0 for an empty mask."""
    mask = ink.astype(np.uint8)
    area = float(mask.sum())
    if area == 0:
        return 0.0
    edge = mask - cv2.erode(mask, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return 2.0 * area / max(1.0, float(edge.sum()))


def normalise_drawing(rgb: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """A user's drawing (any paper/pen colour, transparent or not) → H×W float32 in XDoG style.

    Transparent pixels are paper. The paper is the median brightness (most of a drawing is
    paper; a light-on-dark drawing is inverted), ink is the darkest percent; the levels are
    stretched between them and thresholded at the midpoint, then strokes are eroded or dilated
    towards the XDoG stroke width for this image size.
    """
    gray = _gray(rgb)
    if alpha is not None:
        gray = alpha * gray + (1.0 - alpha)
    paper = float(np.median(gray))
    ink_level = float(np.percentile(gray, 1))
    if paper < 0.5:  # light strokes on a dark ground
        gray, paper, ink_level = 1.0 - gray, 1.0 - paper, 1.0 - float(np.percentile(gray, 99))
    span = max(paper - ink_level, 1e-3)
    level = np.clip((gray - ink_level) / span, 0, 1)
    ink = restroke((level < 0.5).astype(np.uint8), STROKE_WIDTH * _scale(rgb.shape))
    return _soft(ink)


def restroke(ink: np.ndarray, target: float) -> np.ndarray:
    """Erode or dilate a binary ink mask (uint8) so its mean stroke width nears ``target`` px."""
    width = stroke_width(ink)
    steps = int(round((width - target) / 2))  # one erosion/dilation changes the width by 2 px
    if width > 0 and steps != 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        op = cv2.erode if steps > 0 else cv2.dilate
        thinner = op(ink, kernel, iterations=abs(steps))
        ink = thinner if thinner.any() else ink  # never erase a drawing of hairlines entirely
    return ink


def _soft(ink: np.ndarray) -> np.ndarray:
    """Soft edges like XDoG's tanh ramp, so strokes are not aliased staircases."""
    return np.clip(1.0 - cv2.GaussianBlur(ink.astype(np.float32), (0, 0), 0.5), 0, 1)


def varied_sketch(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A training drawing of ``rgb`` at a random level of detail and pen width (see the module
    docstring): edge scale ×1–2.5, specks up to 10× larger erased, stroke width ×0.6–1.8 of XDoG's.

    >>> photo = np.zeros((64, 64, 3), np.float32); photo[16:48, 16:48] = 1
    >>> d = varied_sketch(photo, np.random.default_rng(0))
    >>> d.shape, bool(d.min() < 0.5 < d.max())  # paper and ink
    ((64, 64), True)
    """
    sketch = photo_to_sketch(rgb, detail=rng.uniform(1.0, 2.5), speck=rng.uniform(1.0, 10.0))
    lines = _skeleton((sketch < 0.5).astype(np.uint8))  # filled blobs (dark hair, shadows) → centre lines
    radius = max(0, round(STROKE_WIDTH * _scale(rgb.shape) * rng.uniform(0.6, 1.8) / 2 - 0.5))
    pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return _soft(cv2.dilate(lines, pen))


# Where the features of the aligned faces are, as fractions of the frame (width, height), measured
# on the mean of 800 training faces (89×109 px): eyes at (0.37 | 0.63, 0.505), nose tip at 0.60,
# mouth at 0.71, the skin oval centred at (0.5, 0.57) with half-axes (0.24, 0.26).
FACE_CENTRE, FACE_AXES = (0.5, 0.57), (0.24, 0.26)
EYE_Y, EYE_DX, NOSE_Y, MOUTH_Y = 0.505, 0.13, 0.60, 0.71


def schematic_face(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A person's drawing of "a face" in an aligned face frame of height×width: an oval (the head
    drawn 0.95–1.45× the skin's size), two eyes (circles or dots, sometimes brows), a nose line
    (or none), a mouth arc, each feature jittered by a few % of the frame; one pen, 0.6–1.8× the
    XDoG stroke width. H×W float32, paper 1, ink 0.

    >>> d = schematic_face(109, 89, np.random.default_rng(0))
    >>> d.shape, 0.02 < float((d < 0.5).mean()) < 0.2  # mostly paper
    ((109, 89), True)
    """
    paper = np.full((height, width), 255, np.uint8)
    pen = max(1, round(STROKE_WIDTH * _scale((height, width)) * rng.uniform(0.6, 1.8)))
    j = lambda spread: rng.uniform(-spread, spread)  # noqa: E731 - a jitter, as a fraction of the frame

    def pt(fx: float, fy: float) -> tuple[int, int]:
        return round(fx * width), round(fy * height)

    head = rng.uniform(0.95, 1.45)
    centre = pt(FACE_CENTRE[0] + j(0.02), FACE_CENTRE[1] - 0.03 * (head - 1) + j(0.02))
    axes = pt(FACE_AXES[0] * head * rng.uniform(0.9, 1.1), FACE_AXES[1] * head * rng.uniform(0.9, 1.1))
    cv2.ellipse(paper, centre, axes, j(8), 0, 360, 0, pen, cv2.LINE_AA)
    eye_y, eye_dx = EYE_Y + j(0.04), EYE_DX * rng.uniform(0.8, 1.25)
    radius = max(1, round(width * rng.uniform(0.015, 0.06)))
    dots, brows = rng.random() < 0.3, rng.random() < 0.4
    for side in (-1, 1):
        eye = pt(0.5 + side * eye_dx, eye_y)
        cv2.circle(paper, eye, radius, 0, -1 if dots else pen, cv2.LINE_AA)
        if brows:
            brow = pt(0.5 + side * eye_dx, eye_y - rng.uniform(0.05, 0.08))
            cv2.ellipse(paper, brow, (radius + pen + 2, max(1, radius // 2)), 0, 200, 340, 0, pen, cv2.LINE_AA)
    if rng.random() < 0.8:
        top, tip = pt(0.5 + j(0.01), eye_y + 0.03), pt(0.5 + j(0.04), NOSE_Y + j(0.03))
        cv2.line(paper, top, tip, 0, pen, cv2.LINE_AA)
    mouth = pt(0.5 + j(0.02), MOUTH_Y + j(0.03))
    smile = (round(width * rng.uniform(0.06, 0.14)), round(height * rng.uniform(0.005, 0.05)))
    cv2.ellipse(paper, mouth, smile, 0, 0, 180, 0, pen, cv2.LINE_AA)
    return paper.astype(np.float32) / 255


def _skeleton(ink: np.ndarray) -> np.ndarray:
    """Morphological skeleton of a binary mask (Lantuéjoul): the union over k of the pixels that
    the k-th erosion keeps and an opening of it removes; a stroke of any width → a 1-px line."""
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    skeleton = np.zeros_like(ink)
    while ink.any():
        eroded = cv2.erode(ink, cross)
        skeleton |= ink & ~cv2.dilate(eroded, cross)
        ink = eroded
    return skeleton
