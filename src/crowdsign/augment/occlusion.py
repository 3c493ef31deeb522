"""Occlusion families: ``stickers`` (stickers and graffiti), ``cover`` (partial cover by an object)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from crowdsign.augment.family import (
    coordinates,
    gray3,
    lerp,
    pixels,
    register,
    scale_channels,
    smooth_field,
    threshold_for_fraction,
    to_uint8,
)

_MAX_STICKERS = 6
_STICKER_COLOURS = np.array(
    [[245, 245, 240], [25, 25, 30], [240, 205, 40], [40, 80, 200], [40, 150, 70], [175, 175, 180]],
    np.float64,
)
_COVER_COLOURS = np.array([[46, 84, 38], [90, 90, 92], [92, 66, 44], [30, 32, 40]], np.float32)


@register("stickers", group="occlusion")
def stickers(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Stickers and graffiti on the sign face: patches, discs and spray-paint scribbles.

    Placed in the central 60 % of the frame, where a cropped sign is. All six candidates are
    drawn from ``rng`` at every severity; severity sets how many are shown and how large.
    """
    count = round(lerp(severity, (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)))
    size = pixels(image, lerp(severity, (0.0, 7.0, 8.0, 9.0, 10.0, 11.0)))
    h, w = image.shape[:2]
    centres = rng.uniform(0.2, 0.8, size=(_MAX_STICKERS, 2)) * (w, h)
    aspects = np.exp(rng.uniform(-0.6, 0.6, size=_MAX_STICKERS))
    kinds = rng.integers(0, 3, size=_MAX_STICKERS)  # 0 patch, 1 disc, 2 scribble
    colours = _STICKER_COLOURS[rng.integers(len(_STICKER_COLOURS), size=_MAX_STICKERS)]
    scribbles = rng.uniform(-0.5, 0.5, size=(_MAX_STICKERS, 4, 2))

    out = image.copy()
    for i in range(count):
        c = centres[i]
        half = 0.5 * size * np.array([aspects[i], 1.0 / aspects[i]])
        colour = tuple(float(v) for v in colours[i])
        if kinds[i] == 0:
            p1, p2 = _fixed(c - half), _fixed(c + half)
            cv2.rectangle(out, p1, p2, colour, -1, cv2.LINE_AA, 4)
        elif kinds[i] == 1:
            cv2.ellipse(out, _fixed(c), _fixed(half), 0.0, 0.0, 360.0, colour, -1, cv2.LINE_AA, 4)
        else:
            points = (c + scribbles[i] * 2.0 * size * 0.9)[None].round().astype(np.int32)
            thickness = max(1, round(size / 5))
            cv2.polylines(out, points, False, colour, thickness, cv2.LINE_AA)
    return out


def _fixed(point: np.ndarray) -> tuple[int, int]:
    """A point in cv2's fixed-point format with 4 fractional bits."""
    return round(float(point[0]) * 16), round(float(point[1]) * 16)


@register("cover", group="occlusion")
def cover(image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
    """Partial cover by an object entering from one side: foliage, a pole, a vehicle.

    A half-plane from a random direction with a wobbly edge, textured fill; ``severity`` sets
    the covered fraction of the frame (about 12 % to 52 %).
    """
    fraction = lerp(severity, (0.0, 0.12, 0.22, 0.32, 0.42, 0.52))
    h, w = image.shape[:2]
    phi = rng.uniform(0.0, 2.0 * math.pi)
    wobble = smooth_field(rng, h, w, cells=4)
    texture = smooth_field(rng, h, w, cells=10)
    colour = _COVER_COLOURS[rng.integers(len(_COVER_COLOURS))]
    if fraction <= 0.0:
        return image.copy()

    ys, xs = coordinates(h, w)
    d = (xs - np.float32((w - 1) / 2)) * np.float32(math.cos(phi))
    d = d + (ys - np.float32((h - 1) / 2)) * np.float32(math.sin(phi))
    d += np.float32(pixels(image, 6.0)) * wobble
    edge = threshold_for_fraction(d, fraction)
    mask = np.clip(d - np.float32(edge - 0.5), 0.0, 1.0)
    texture *= np.float32(0.8)
    texture += np.float32(0.6)
    fill = scale_channels(gray3(texture), colour)
    out = image.astype(np.float32)
    out += gray3(mask) * (fill - out)
    return to_uint8(out)
