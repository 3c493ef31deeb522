"""Drawing primitives shared by the sign drawers: anti-aliased shapes, sign colours, legends.

Coordinates are float pixels; shapes are drawn with 4 fractional bits (cv2 ``shift=4``).
Every colour is an RGB tuple in [0, 1] drawn from the ``rng`` given.
"""

from __future__ import annotations

import cv2
import numpy as np

Colour = tuple[float, float, float]
Layer = tuple[np.ndarray, np.ndarray]  # rgb (s, s, 3), alpha (s, s)
AA = cv2.LINE_AA
FONTS = (cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_TRIPLEX)


def canvas(s: int) -> Layer:
    return np.zeros((s, s, 3), np.float32), np.zeros((s, s), np.float32)


def fixed(pts: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(pts) * 16).astype(np.int32)


def polygon(n: int, radius: float, cx: float, cy: float, phase: float) -> np.ndarray:
    """A regular ``n``-gon's vertices (fixed point) around (cx, cy)."""
    angles = phase + np.arange(n) * 2 * np.pi / n
    return fixed(np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], axis=1))


def fill(img: np.ndarray, pts: np.ndarray, colour) -> None:
    cv2.fillPoly(img, [pts], colour, lineType=AA, shift=4)


def disc(img: np.ndarray, cx: float, cy: float, radius: float, colour) -> None:
    centre = (int(round(cx * 16)), int(round(cy * 16)))
    cv2.circle(img, centre, max(1, int(round(radius * 16))), colour, -1, lineType=AA, shift=4)


def line(img: np.ndarray, a, b, colour, width: float) -> None:
    """A thick line from ``a`` to ``b`` (float points) with round caps."""
    p, q = fixed(a), fixed(b)
    cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), colour,
             max(1, int(round(width))), AA, 4)  # fmt: skip


def red(rng: np.random.Generator) -> Colour:
    """A sign red: from deep crimson to bright, slightly orange or purple."""
    return (rng.uniform(0.55, 0.95), rng.uniform(0.0, 0.14), rng.uniform(0.04, 0.2))


def white(rng: np.random.Generator) -> Colour:
    v = rng.uniform(0.8, 0.98)
    return (v, v, v * rng.uniform(0.93, 1.0))


def sign_white(rng: np.random.Generator) -> Colour:
    """The field of a warning or prohibitory sign: white, or aged towards cream or yellow."""
    if rng.random() < 0.75:
        return white(rng)
    v = rng.uniform(0.8, 0.97)
    return (v, v * rng.uniform(0.88, 0.97), v * rng.uniform(0.5, 0.85))


def black(rng: np.random.Generator) -> Colour:
    v = rng.uniform(0.02, 0.18)
    return (v, v, v)


def text_mask(text: str, box_w: float, box_h: float, rng: np.random.Generator) -> np.ndarray:
    """``text`` in a bold font stretched to fill ``box_w`` × ``box_h`` pixels: (h, w) in [0, 1].

    Road-sign lettering is condensed and heavy; a Hershey font drawn thick at a large size and
    squeezed into the box looks closer to it than the font at its own aspect.
    """
    font = FONTS[rng.integers(len(FONTS))]
    scale = 2.0
    thick = int(rng.integers(5, 9))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    pad = thick
    mask = np.zeros((th + base + 2 * pad, tw + 2 * pad), np.uint8)
    cv2.putText(mask, text, (pad, th + pad), font, scale, 255, thick, AA)
    ys, xs = np.nonzero(mask)
    mask = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    w, h = max(2, int(round(box_w))), max(2, int(round(box_h)))
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def paste(img: np.ndarray, mask: np.ndarray, cx: float, cy: float, colour) -> None:
    """Paint ``colour`` through ``mask`` centred at (cx, cy), clipped to ``img``."""
    h, w = mask.shape
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    x1, y1 = max(x0, 0), max(y0, 0)
    x2, y2 = min(x0 + w, img.shape[1]), min(y0 + h, img.shape[0])
    if x2 <= x1 or y2 <= y1:
        return
    m = mask[y1 - y0 : y2 - y0, x1 - x0 : x2 - x0, None]
    img[y1:y2, x1:x2] = img[y1:y2, x1:x2] * (1 - m) + np.float32(colour) * m
