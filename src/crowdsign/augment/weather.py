"""Weather families: ``fog``, ``rain``, ``snow``, ``glare``, ``shadow``.

All are a few vectorised float32 operations on the whole image (no per-particle Python loops),
tens of microseconds at 64 px. albumentations' ``RandomFog`` draws hundreds of circles per call
and runs at ~250 images/s per core at 64 px; ``fog`` here is ~100× faster.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from crowdsign.augment.family import (
    blend,
    coordinates,
    gaussian_peak,
    gaussian_size,
    gray3,
    lerp,
    line_kernel,
    pixels,
    register,
    scale_channels,
    smooth_field,
    threshold_for_fraction,
    to_uint8,
)


@register("fog", group="weather")
def fog(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Fog and haze: Koschmieder blend toward a pale airlight, with patchy thickness.

    ``out = image * t + airlight * (1 - t)`` with transmission ``t = exp(-beta * depth)`` and
    ``depth`` a smooth random field in [0.75, 1].
    """
    beta = lerp(severity, (0.0, 0.3, 0.6, 0.95, 1.35, 1.8))
    h, w = image.shape[:2]
    depth = np.clip(smooth_field(rng, h, w, cells=3), 0.0, 1.0)
    grey = 205.0 + 30.0 * rng.random()

    depth *= np.float32(-0.25 * beta)
    depth -= np.float32(0.75 * beta)
    haze = 1.0 - np.exp(depth)
    return to_uint8(blend(image.astype(np.float32), haze, (grey, grey + 3.0, grey + 8.0)))


@register("rain", group="weather")
def rain(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Rain: bright slanted streaks over an overcast, lower-contrast scene.

    Streaks are sparse random seeds convolved with one anti-aliased line kernel.
    """
    density = lerp(severity, (0.0, 0.004, 0.008, 0.013, 0.02, 0.03))
    length = pixels(image, lerp(severity, (0.0, 5.0, 7.0, 9.0, 11.0, 13.0)))
    opacity = lerp(severity, (0.0, 0.35, 0.45, 0.55, 0.62, 0.7))
    overcast = lerp(severity, (0.0, 0.06, 0.12, 0.18, 0.24, 0.3))
    h, w = image.shape[:2]
    angle = 90.0 + rng.uniform(-20.0, 20.0)  # near vertical, wind-slanted
    seeds = (rng.random((h, w), dtype=np.float32) < density).astype(np.float32)

    kernel = line_kernel(max(length, 1.0), angle, normalise=False)
    streaks = cv2.filter2D(seeds, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    alpha = np.minimum(streaks, 1.0)
    alpha *= np.float32(opacity)
    x = image.astype(np.float32)
    grey = cv2.mean(x)[:3]
    x = cv2.addWeighted(x, 1.0 - overcast, x, 0.0, 0.0)  # lower contrast toward the mean
    x = cv2.add(x, tuple(overcast * g for g in grey) + (0.0,))
    return to_uint8(blend(x, alpha, 215.0))


@register("snow", group="weather")
def snow(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Snow: falling flakes, snow stuck on the sign (more toward the top), a white haze."""
    flakes = lerp(severity, (0.0, 0.008, 0.016, 0.025, 0.035, 0.05))
    stuck = lerp(severity, (0.0, 0.0, 0.06, 0.12, 0.2, 0.28))
    haze = lerp(severity, (0.0, 0.08, 0.14, 0.2, 0.26, 0.32))
    sigma = pixels(image, 0.8)
    h, w = image.shape[:2]
    flake_draw = rng.random((h, w), dtype=np.float32)
    ys, _ = coordinates(h, w)
    field = smooth_field(rng, h, w, cells=6) + 0.35 * (1.0 - ys / np.float32(h))

    k = gaussian_size(sigma)
    flake_map = cv2.GaussianBlur((flake_draw < flakes).astype(np.float32), (k, k), sigma)
    alpha = np.minimum(flake_map * np.float32(1.0 / gaussian_peak(sigma)), 1.0)  # centres at 1
    if stuck > 0.0:
        edge = threshold_for_fraction(field, stuck)
        alpha = np.maximum(alpha, np.clip((field - edge) * 25.0 + 0.5, 0.0, 0.95))
    x = image.astype(np.float32)
    x *= np.float32(1.0 - haze)
    x += np.float32(haze * 225.0)
    return to_uint8(blend(x, alpha, 248.0))


@register("glare", group="weather")
def glare(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Sun flare and glare: a bright halo, lens ghosts along its axis, a veil that lifts blacks.

    Screen blend ``out = 255 - (255 - image) * (1 - g)`` of a warm glare map ``g`` in [0, 1].
    """
    peak = lerp(severity, (0.0, 0.45, 0.6, 0.75, 0.88, 1.0))
    radius = pixels(image, lerp(severity, (1.0, 10.0, 13.0, 16.0, 20.0, 25.0)))
    veil = lerp(severity, (0.0, 0.04, 0.08, 0.12, 0.17, 0.23))
    h, w = image.shape[:2]
    sx, sy = w * rng.random(), h * 0.6 * rng.random()  # the sun is up, usually in the top half
    ghost_at = rng.uniform(0.6, 1.4, size=2)

    ys, xs = coordinates(h, w)
    g = _blob(ys, xs, sy, sx, radius) * np.float32(peak)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    for t, strength in zip(ghost_at, (0.22, 0.12), strict=True):
        gx, gy = sx + t * 2 * (cx - sx), sy + t * 2 * (cy - sy)  # mirrored through the centre
        g += _blob(ys, xs, gy, gx, 0.35 * radius) * np.float32(strength * peak)
    g = np.minimum(g + np.float32(veil), 1.0)
    return to_uint8(blend(image.astype(np.float32), g, (255.0, 247.0, 224.0)))


def _blob(ys: np.ndarray, xs: np.ndarray, cy: float, cx: float, sigma: float) -> np.ndarray:
    """Separable isotropic Gaussian (H, W) peaking at 1 in (cy, cx)."""
    k = np.float32(-0.5 / (sigma * sigma))
    return np.exp(k * (ys - np.float32(cy)) ** 2) * np.exp(k * (xs - np.float32(cx)) ** 2)


@register("shadow", group="weather")
def shadow(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Cast shadow: a building edge (half-plane) or a pole/branch (band), bluish, soft-edged."""
    dark = lerp(severity, (0.0, 0.3, 0.42, 0.54, 0.64, 0.74))
    cover = lerp(severity, (0.0, 0.3, 0.36, 0.42, 0.48, 0.55))
    soft = pixels(image, 1.5)
    h, w = image.shape[:2]
    phi = rng.uniform(0.0, 2.0 * math.pi)
    is_band = rng.random() < 0.4
    band_centre = rng.uniform(-0.25, 0.25) * min(h, w)

    ys, xs = coordinates(h, w)
    d = (xs - np.float32((w - 1) / 2)) * np.float32(math.cos(phi)) + (
        ys - np.float32((h - 1) / 2)
    ) * np.float32(math.sin(phi))
    if is_band:  # distance to the band's axis, negated so that "inside" is large
        d = -np.abs(d - np.float32(band_centre))
    edge = threshold_for_fraction(d, cover)
    mask = np.clip((d - np.float32(edge)) / np.float32(soft) + np.float32(0.5), 0.0, 1.0)
    # skylight keeps the shade bluish: blue loses less than red and green
    loss = scale_channels(gray3(mask), (dark, 0.97 * dark, 0.85 * dark))
    out = image.astype(np.float32)
    out *= 1.0 - loss
    return to_uint8(out)
