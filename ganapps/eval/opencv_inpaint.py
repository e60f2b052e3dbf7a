"""OpenCV's inpainting, the baseline every fill is measured against (``eval inpaint``, training validation).

``cv2.inpaint`` with Telea's fast marching method and with the Navier–Stokes method, radius 3 px
(OpenCV's documented example value), on the 8-bit image, as a user of OpenCV would call it.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import Tensor

OPENCV_RADIUS = 3
OPENCV_METHODS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


def opencv_inpaint(images: Tensor, masks: Tensor, method: str) -> Tensor:
    """``cv2.inpaint`` of each 8-bit image (N×3×H×W in [-1, 1]) with ``method`` (telea | ns)."""
    out = []
    for image, mask in zip(images, masks):
        rgb = ((image.permute(1, 2, 0).numpy() + 1) * 127.5).round().astype(np.uint8)
        filled = cv2.inpaint(rgb, mask[0].numpy().astype(np.uint8), OPENCV_RADIUS, OPENCV_METHODS[method])
        out.append(torch.from_numpy(filled).permute(2, 0, 1).float() / 127.5 - 1)
    return torch.stack(out)
