"""Distance and motion families: ``downscale``, ``defocus``, ``motion_blur``, ``jpeg``."""

from __future__ import annotations

import cv2
import numpy as np

from crowdsign.augment.family import (
    REFERENCE_SIZE,
    disk_kernel,
    lerp,
    line_kernel,
    pixels,
    register,
)


@register("downscale", group="distance")
def downscale(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Far away: area-downsample to a fraction of the side, bilinear back up to the same size."""
    factor = lerp(severity, (1.0, 0.75, 0.55, 0.4, 0.3, 0.22))
    h, w = image.shape[:2]
    small = (max(2, round(w * factor)), max(2, round(h * factor)))
    if small == (w, h):
        return image.copy()
    low = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
    return cv2.resize(low, (w, h), interpolation=cv2.INTER_LINEAR)


@register("defocus", group="distance")
def defocus(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Out of focus: convolution with an anti-aliased disk (the lens point-spread function)."""
    radius = pixels(image, lerp(severity, (0.0, 1.1, 1.6, 2.2, 2.9, 3.6)))
    kernel = disk_kernel(round(radius * 20) / 20)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT_101)


@register("motion_blur", group="distance")
def motion_blur(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Seen from a moving car: a line blur, within ±25° of horizontal."""
    length = pixels(image, lerp(severity, (0.0, 3.0, 5.0, 7.0, 10.0, 13.0)))
    angle = rng.uniform(-25.0, 25.0)
    if length < 1.0:
        return image.copy()
    kernel = line_kernel(length, angle, normalise=True)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT_101)


@register("jpeg", group="distance")
def jpeg(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """JPEG artefacts: encode and decode at a falling quality (4:2:0 chroma, 8×8 blocks).

    Images smaller than 64 px go through the codec at 64 px: a small crop is compressed in the
    camera's larger frame before it is cut out, not at its own size (where an 8×8 block would
    cover a quarter of a 32 px sign).
    """
    quality = round(lerp(severity, (100.0, 55.0, 35.0, 22.0, 13.0, 7.0)))
    if quality >= 100:  # severity ~0: even quality 100 subsamples chroma, so skip the codec
        return image.copy()
    h, w = image.shape[:2]
    zoom = max(1.0, REFERENCE_SIZE / min(h, w))
    bgr = np.ascontiguousarray(image[:, :, ::-1])  # libjpeg's YCbCr expects OpenCV's BGR order
    if zoom > 1.0:
        bgr = cv2.resize(bgr, (round(w * zoom), round(h * zoom)), interpolation=cv2.INTER_LINEAR)
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("cv2.imencode failed for JPEG")
    decoded = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    if zoom > 1.0:
        decoded = cv2.resize(decoded, (w, h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(decoded[:, :, ::-1])
