"""Sign drawers: each paints one sign class onto an RGBA canvas centred on the canvas.

A drawer gets the canvas side ``s`` (pixels), an RNG and returns ``(rgb, alpha)`` float32 arrays
in [0, 1]; geometry and colour vary per call (shade of red, rim width, legend, pictogram). The
signs people and models confuse with a stop sign live in :mod:`.confusers`.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

import crowdsign.data.synthetic.confusers as confusers
from crowdsign.data.synthetic.draw import (
    AA,
    Layer,
    canvas,
    disc,
    fill,
    fixed,
    paste,
    polygon,
    red,
    sign_white,
    text_mask,
    white,
)

# mostly STOP (the legend of every country that uses the octagon in Europe and the Americas)
LEGENDS = ("STOP",) * 12 + ("ALTO", "ARRET", "PARE", "DUR")


def _octagon_base(s: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    rgb, alpha = canvas(s)
    c, r = s / 2, s / 2 * 0.97
    phase = np.pi / 8
    fill(rgb, polygon(8, r, c, c, phase), white(rng))
    fill(alpha, polygon(8, r, c, c, phase), 1.0)
    fill(rgb, polygon(8, r * rng.uniform(0.86, 0.95), c, c, phase), red(rng))
    return rgb, alpha, r


def stop(s: int, rng: np.random.Generator) -> Layer:
    rgb, alpha, r = _octagon_base(s, rng)
    legend = LEGENDS[rng.integers(len(LEGENDS))]
    w = r * rng.uniform(1.2, 1.5) * (1.0 if len(legend) == 4 else rng.uniform(1.0, 1.1))
    h = r * rng.uniform(0.45, 0.68)
    paste(rgb, text_mask(legend, w, h, rng), s / 2, s / 2 + r * rng.normal(0, 0.03), white(rng))
    return rgb, alpha


def red_octagon(s: int, rng: np.random.Generator) -> Layer:
    """A red octagon without a legend (a blank, a back-painted sign, or a dot/bar pattern)."""
    rgb, alpha, r = _octagon_base(s, rng)
    pattern = rng.integers(3)
    if pattern == 1:  # a small white dot
        disc(rgb, s / 2, s / 2, r * rng.uniform(0.12, 0.2), white(rng))
    elif pattern == 2:  # a thin white ring inside
        c = int(s / 2 * 16)
        cv2.circle(rgb, (c, c), int(r * 0.55 * 16), white(rng), max(1, int(r * 0.06)), AA, 4)
    return rgb, alpha


def yield_sign(s: int, rng: np.random.Generator) -> Layer:
    rgb, alpha = canvas(s)
    c, r = s / 2, s / 2 * 0.98
    cy = c - r * 0.25  # the centroid of a point-down triangle sits above the canvas centre
    outer = polygon(3, r, c, cy, np.pi / 2)  # point down
    fill(rgb, outer, white(rng))
    fill(alpha, outer, 1.0)
    fill(rgb, polygon(3, r * rng.uniform(0.88, 0.95), c, cy, np.pi / 2), red(rng))
    inner = polygon(3, r * rng.uniform(0.45, 0.62), c, cy, np.pi / 2)
    fill(rgb, inner, sign_white(rng))
    return rgb, alpha


def no_entry(s: int, rng: np.random.Generator) -> Layer:
    rgb, alpha = canvas(s)
    c, r = s / 2, s / 2 * 0.97
    disc(rgb, c, c, r, white(rng))
    disc(alpha, c, c, r, 1.0)
    disc(rgb, c, c, r * rng.uniform(0.88, 0.96), red(rng))
    h, w = r * rng.uniform(0.16, 0.26), r * rng.uniform(0.6, 0.76)
    fill(rgb, fixed([[c - w, c - h], [c + w, c - h], [c + w, c + h], [c - w, c + h]]), white(rng))
    return rgb, alpha


def mandatory_blue(s: int, rng: np.random.Generator) -> Layer:
    rgb, alpha = canvas(s)
    c, r = s / 2, s / 2 * 0.97
    disc(rgb, c, c, r, (rng.uniform(0.0, 0.1), rng.uniform(0.2, 0.45), rng.uniform(0.5, 0.9)))
    disc(alpha, c, c, r, 1.0)
    # a white arrow, pointing a random direction
    t = rng.uniform(0, 2 * np.pi)
    d = np.array([np.cos(t), np.sin(t)])
    n = np.array([-d[1], d[0]])
    shaft = r * 0.13
    tip, base, neck = c + d * r * 0.65, c - d * r * 0.6, c + d * r * 0.1
    pts = [base + n * shaft, neck + n * shaft, neck + n * r * 0.38, tip]
    pts += [neck - n * r * 0.38, neck - n * shaft, base - n * shaft]
    fill(rgb, fixed(pts), white(rng))
    return rgb, alpha


# class name -> drawer; "background" has no sign
DRAWERS: dict[str, Callable[[int, np.random.Generator], Layer]] = {
    "stop": stop,
    "yield": yield_sign,
    "no_entry": no_entry,
    "prohibitory": confusers.prohibitory,
    "red_octagon": red_octagon,
    "mandatory_blue": mandatory_blue,
    "speed_limit": confusers.speed_limit,
    "warning": confusers.warning,
    "red_object": confusers.red_object,
    "other_sign": confusers.other_sign,
}
