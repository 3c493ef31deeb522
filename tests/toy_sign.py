"""A toy stop sign for tests, benchmarks and docs: no dependency on the data renderers."""

from __future__ import annotations

import math

import cv2
import numpy as np


def octagon(size: int, radius_fraction: float = 0.36) -> np.ndarray:
    """(8, 2) int32 vertices of a regular octagon (flat top) centred in a ``size`` square."""
    c, r = (size - 1) / 2, radius_fraction * size
    angles = [math.radians(22.5 + 45 * k) for k in range(8)]
    return (
        np.array([[c + r * math.cos(a), c + r * math.sin(a)] for a in angles])
        .round()
        .astype(np.int32)
    )


def toy_sign(size: int = 64, *, rng: np.random.Generator | None = None) -> np.ndarray:
    """(size, size, 3) uint8 RGB: red octagon, white rim, white bar (the legend) on grey.

    With ``rng`` the grey background gets mild texture; without, it is flat (for exact tests).
    """
    image = np.full((size, size, 3), 120, np.uint8)
    if rng is not None:
        noise = rng.normal(0.0, 12.0, size=(size // 8 + 1, size // 8 + 1, 3)).astype(np.float32)
        texture = cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)
        image = np.clip(image + texture, 0, 255).astype(np.uint8)
    cv2.fillPoly(image, [octagon(size, 0.38)], (235, 235, 235), cv2.LINE_AA)
    cv2.fillPoly(image, [octagon(size, 0.34)], (200, 25, 35), cv2.LINE_AA)
    half_w, half_h = round(0.2 * size), max(1, round(0.05 * size))
    c = size // 2
    cv2.rectangle(image, (c - half_w, c - half_h), (c + half_w, c + half_h), (240, 240, 240), -1)
    return image
