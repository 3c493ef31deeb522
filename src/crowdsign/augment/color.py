"""Colour families. Fading: ``fade``, ``dirt``. Light: ``night``, ``overexposure``."""

from __future__ import annotations

import cv2
import numpy as np

from crowdsign.augment.family import (
    LUMA,
    blend,
    coordinates,
    gray3,
    lerp,
    register,
    scale_channels,
    smooth_field,
    to_uint8,
    unit_noise,
)

_EYE = np.eye(3, dtype=np.float32)
_DIRT_COLOURS = np.array([[96, 78, 52], [74, 68, 60], [120, 104, 80]], np.float32)  # RGB


@register("fade", group="fading")
def fade(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Sun bleaching: red drifts to orange or pink, colours desaturate, contrast washes out pale.

    One 3×4 colour matrix (``cv2.transform``): hue drift, then desaturation toward luma, then a
    contrast loss toward a pale level. ``rng`` picks orange or pink.
    """
    drift = lerp(severity, (0.0, 0.06, 0.12, 0.18, 0.24, 0.30))
    desaturate = lerp(severity, (0.0, 0.15, 0.30, 0.45, 0.60, 0.72))
    wash = lerp(severity, (0.0, 0.08, 0.16, 0.24, 0.32, 0.40))
    to_orange = rng.random() < 0.5

    m_drift = _EYE.copy()  # channel += k * (R - channel): red pulls green (orange) or blue (pink)
    for channel, k in ((1, drift), (2, 0.0)) if to_orange else ((2, drift), (1, 0.35 * drift)):
        m_drift[channel, 0] += k
        m_drift[channel, channel] -= k
    m_desat = (1.0 - desaturate) * _EYE + desaturate * LUMA[None, :]
    m = (1.0 - wash) * (m_desat @ m_drift)
    pale = 0.5 * float(np.dot(LUMA, cv2.mean(image)[:3])) + 0.5 * 235.0
    matrix = np.hstack([m, np.full((3, 1), wash * pale, np.float32)])
    return cv2.transform(image, matrix)


@register("dirt", group="fading")
def dirt(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Grime: a blotchy brown-grey film and dark specks that dull and darken the sign."""
    opacity = lerp(severity, (0.0, 0.18, 0.30, 0.42, 0.54, 0.66))
    specks = lerp(severity, (0.0, 0.004, 0.008, 0.016, 0.026, 0.04))
    h, w = image.shape[:2]
    field = smooth_field(rng, h, w, cells=5)
    speck_draw = rng.random((h, w), dtype=np.float32)
    colour = _DIRT_COLOURS[rng.integers(len(_DIRT_COLOURS))] * rng.uniform(0.85, 1.15)

    alpha = np.clip(field, 0.0, 1.0)
    alpha *= np.float32(0.7 * opacity)
    alpha += np.float32(0.3 * opacity)
    alpha = np.maximum(alpha, (speck_draw < specks) * np.float32(0.85))
    return to_uint8(blend(image.astype(np.float32), alpha, colour))


@register("night", group="light")
def night(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Dusk to night: low gain and gamma, a cool cast, headlight fall-off, sensor noise."""
    gamma = lerp(severity, (1.0, 1.15, 1.35, 1.6, 1.9, 2.2))
    gain = lerp(severity, (1.0, 0.85, 0.68, 0.52, 0.4, 0.3))
    falloff = lerp(severity, (0.0, 0.15, 0.25, 0.35, 0.45, 0.55))
    sigma = lerp(severity, (0.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    cool = lerp(severity, (0.0, 0.03, 0.06, 0.09, 0.12, 0.15))
    h, w = image.shape[:2]
    cy, cx = h * rng.uniform(0.55, 0.95), w * rng.uniform(0.3, 0.7)
    noise = unit_noise(rng, (h, w, 3))

    levels = np.arange(256, dtype=np.float32) / 255.0
    out = cv2.LUT(image, to_uint8(255.0 * gain * levels**gamma)).astype(np.float32)
    ys, xs = coordinates(h, w)
    r2 = ((ys - np.float32(cy)) ** 2 + (xs - np.float32(cx)) ** 2) / np.float32(max(h, w) ** 2)
    light = 1.0 - falloff * np.minimum(2.0 * r2, 1.0)  # headlights: brightest low and central
    out *= gray3(light)
    out = scale_channels(out, (1.0 - cool, 1.0 - 0.3 * cool, 1.0 + 0.5 * cool))
    noise *= np.float32(sigma)
    out += noise
    return to_uint8(out)


@register("overexposure", group="light")
def overexposure(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Over-exposure: gain and lifted blacks push highlights into clipping (one lookup table)."""
    gain = lerp(severity, (1.0, 1.2, 1.4, 1.65, 1.95, 2.3))
    lift = lerp(severity, (0.0, 5.0, 10.0, 15.0, 20.0, 26.0))
    return cv2.LUT(image, to_uint8(np.arange(256, dtype=np.float32) * gain + lift))
