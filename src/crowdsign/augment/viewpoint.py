"""Viewpoint families: ``perspective``, ``rotation``, ``shear``, ``scale``.

One ``cv2.warpAffine``/``warpPerspective`` each. Uncovered borders replicate the edge pixels:
reflecting them would paste mirrored copies of the legend around a shrunken sign.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from crowdsign.augment.family import lerp, register

_WARP = {"flags": cv2.INTER_LINEAR, "borderMode": cv2.BORDER_REPLICATE}


def _centre(image: np.ndarray) -> tuple[float, float]:
    h, w = image.shape[:2]
    return (w - 1) / 2, (h - 1) / 2


def _sign(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def _affine(image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.warpAffine(image, matrix, (w, h), **_WARP)


@register("perspective", group="viewpoint")
def perspective(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Seen from the roadside: the sign plane turned about its vertical axis (yaw), a little pitch.

    The image corners are rotated in 3D and projected by a pinhole camera at 1.2 image widths,
    so the apparent width shrinks about as ``cos(yaw)`` and the far edge gets shorter.
    """
    yaw = math.radians(lerp(severity, (0.0, 20.0, 32.0, 44.0, 54.0, 62.0))) * _sign(rng)
    pitch = math.radians(lerp(severity, (0.0, 3.0, 5.0, 7.0, 9.0, 11.0))) * _sign(rng)
    h, w = image.shape[:2]
    cx, cy = _centre(image)
    focal = 1.2 * max(h, w)
    cos_y, sin_y, cos_p, sin_p = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch)

    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    dst = np.empty_like(src)
    for i, (x, y) in enumerate(src - np.array([cx, cy], np.float32)):
        y1, z1 = y * cos_p, y * sin_p  # pitch about the horizontal axis
        x2, z2 = x * cos_y + z1 * sin_y, -x * sin_y + z1 * cos_y  # then yaw about the vertical
        depth = focal + z2
        dst[i] = (cx + focal * x2 / depth, cy + focal * y1 / depth)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, matrix, (w, h), **_WARP)


@register("rotation", group="viewpoint")
def rotation(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """In-plane rotation (a leaning post, a tilted camera) by ±angle about the centre."""
    angle = lerp(severity, (0.0, 5.0, 10.0, 15.0, 22.0, 30.0)) * _sign(rng)
    return _affine(image, cv2.getRotationMatrix2D(_centre(image), angle, 1.0))


@register("shear", group="viewpoint")
def shear(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Shear along x or y by ±angle about the centre (a cheap oblique view, rolling shutter)."""
    k = math.tan(math.radians(lerp(severity, (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)))) * _sign(rng)
    along_x = rng.random() < 0.5
    cx, cy = _centre(image)
    if along_x:
        matrix = np.array([[1.0, k, -k * cy], [0.0, 1.0, 0.0]], np.float32)
    else:
        matrix = np.array([[1.0, 0.0, 0.0], [k, 1.0, -k * cx]], np.float32)
    return _affine(image, matrix)


@register("scale", group="viewpoint")
def scale(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Farther away and off-centre: shrink about the centre, then translate in a random direction."""
    factor = lerp(severity, (1.0, 0.85, 0.72, 0.6, 0.5, 0.42))
    offset = lerp(severity, (0.0, 0.03, 0.06, 0.09, 0.12, 0.15)) * min(image.shape[:2])
    theta = rng.uniform(0.0, 2.0 * math.pi)
    cx, cy = _centre(image)
    tx = cx * (1.0 - factor) + offset * math.cos(theta)
    ty = cy * (1.0 - factor) + offset * math.sin(theta)
    return _affine(image, np.array([[factor, 0.0, tx], [0.0, factor, ty]], np.float32))
