"""Where the faces of a photo are, and the crop that frames one as the inpainting model was trained.

Why this exists: the inpainting model only ever saw faces framed one way (aligned CelebA crops,
89×109 px, face about 44 px wide). A face inside a larger photo, seen through any other window, is
a picture the model does not know (issue 14: a box over the astronaut's eyes came back as a dark
blotch). Finding the face and cropping it the training way puts the model back on its own ground.

Detector: dlib's HOG + linear-SVM frontal-face detector, from the ``dlib-bin`` wheel. OpenCV's Haar
cascades would need nothing new, but opencv-python(-headless) 5 ships none (``cv2.data.haarcascades``
is empty and ``cv2.CascadeClassifier`` is gone); dlib's detector has its weights compiled into the
library, so nothing is downloaded at run time. It finds 95% of the training faces at 89×109 px
(475 of the first 500, with one 2× upsampling).

Framing, measured with that detector on the first 500 training faces: its box is a median 44 px
wide, centred at (43, 68) of the 89×109 crop. :func:`face_frame` puts a box found in a photo at
that place of a crop with that shape.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np

from ganapps.data.datasets import resize

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive
Detector = Callable[[np.ndarray], list[Box]]  # H×W×3 float RGB in [0, 1] → face boxes

TRAIN_FRAME = (89, 109)  # width, height of the training faces
TRAIN_BOX = (44.0, 43.0, 68.0)  # the detector's box on them: width, centre x, centre y
DETECT_SIDE = 800  # detection runs on a copy whose longer side is at most this (HOG cost grows with area)
KEEP_SCALE = 1.25  # a face within this factor of its training size is filled at its own pixels


@functools.cache
def _hog_detector() -> Any:
    import dlib

    return dlib.get_frontal_face_detector()


def detect_faces(rgb: np.ndarray) -> list[Box]:
    """Frontal faces of an H×W×3 image in [0, 1], largest first: at least about 40 px wide (HOG's
    80 px window, one 2× upsampling), in an image longer than 800 px 40 px per 800 px of it."""
    h, w = rgb.shape[:2]
    k = min(1.0, DETECT_SIDE / max(h, w))
    small = resize(rgb, max(1, round(w * k)), max(1, round(h * k))) if k < 1 else rgb
    pixels = np.ascontiguousarray(np.round(small * 255).astype(np.uint8))
    rects = _hog_detector()(pixels, 1)
    boxes = [(r.left() / k, r.top() / k, (r.right() + 1) / k, (r.bottom() + 1) / k) for r in rects]
    return sorted(boxes, key=lambda b: -(b[2] - b[0]))


def face_frame(box: Box) -> Box:
    """The crop (image coordinates, possibly beyond the image) that frames ``box`` as the training
    faces are framed: the crop has their shape and the box sits where theirs does."""
    s = (box[2] - box[0]) / TRAIN_BOX[0]
    x0 = (box[0] + box[2]) / 2 - TRAIN_BOX[1] * s
    y0 = (box[1] + box[3]) / 2 - TRAIN_BOX[2] * s
    return x0, y0, x0 + TRAIN_FRAME[0] * s, y0 + TRAIN_FRAME[1] * s


def face_scale(box: Box, image_size: int) -> float:
    """The factor that gives ``box`` its size in a model trained at ``image_size`` (training faces
    were scaled from 89 px across to ``image_size``), or 1 within a factor ``KEEP_SCALE`` of it.

    Why the dead band: resampling there and back blurs the fill more than a small scale error
    hurts it. On 20 test faces (89×109, 20–30% holes) the model run at their own pixels beat the
    same crops scaled by 96/89 by 0.55 dB; and dlib's box jumps between pyramid levels (a median
    44 px box, but 53 px on a third of those faces), so a precise-looking factor is noise anyway."""
    k = TRAIN_BOX[0] * image_size / TRAIN_FRAME[0] / (box[2] - box[0])
    return 1.0 if 1 / KEEP_SCALE <= k <= KEEP_SCALE else k


def pixel_frame(frame: Box) -> tuple[int, int, int, int]:
    """``frame`` widened to whole pixels: (x0, y0, x1, y1), x1/y1 exclusive, at least 1 px each way."""
    x0, y0 = math.floor(frame[0]), math.floor(frame[1])
    return x0, y0, max(x0 + 1, math.ceil(frame[2])), max(y0 + 1, math.ceil(frame[3]))
