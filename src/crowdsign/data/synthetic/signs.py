"""Sign drawers: each paints one sign class onto an RGBA canvas centred on the canvas.

A drawer gets the canvas side ``s`` (pixels), an RNG and returns ``(rgb, alpha)`` float32 arrays
in [0, 1]; geometry and colour vary per call (shade of red, rim width, legend).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Layer = tuple[np.ndarray, np.ndarray]  # rgb (s, s, 3), alpha (s, s)

LEGENDS = ("STOP", "STOP", "STOP", "STOP", "ALTO", "ARRET", "DUR", "PARE")
AA = cv2.LINE_AA


def _polygon(n: int, radius: float, centre: float, phase: float) -> np.ndarray:
    angles = phase + np.arange(n) * 2 * np.pi / n
    pts = np.stack([centre + radius * np.cos(angles), centre + radius * np.sin(angles)], axis=1)
    return np.round(pts * 16).astype(np.int32)  # 4 fractional bits for cv2 shift=4


def _fill(img: np.ndarray, pts: np.ndarray, colour) -> None:
    cv2.fillPoly(img, [pts], colour, lineType=AA, shift=4)


def _disc(img: np.ndarray, centre: float, radius: float, colour) -> None:
    c = int(round(centre * 16))
    cv2.circle(img, (c, c), int(round(radius * 16)), colour, -1, lineType=AA, shift=4)


def _red(rng: np.random.Generator) -> tuple[float, float, float]:
    """A sign red: from deep crimson to bright, slightly orange or purple."""
    return (rng.uniform(0.55, 0.92), rng.uniform(0.0, 0.12), rng.uniform(0.04, 0.18))


def _white(rng: np.random.Generator) -> tuple[float, float, float]:
    v = rng.uniform(0.82, 0.98)
    return (v, v, v * rng.uniform(0.95, 1.0))


def _legend(img: np.ndarray, text: str, centre: float, width: float, colour, rng) -> None:
    """Centre ``text`` in ``img`` at about ``width`` pixels wide (Hershey font, bold)."""
    font = cv2.FONT_HERSHEY_DUPLEX
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 2)
    scale = width / tw
    thickness = max(1, int(round(scale * rng.uniform(1.8, 2.6))))
    (tw, th), _ = cv2.getTextSize(text, font, scale, thickness)
    org = (int(centre - tw / 2), int(centre + th / 2))
    mask = np.zeros(img.shape[:2], np.uint8)  # putText draws on uint8 only
    cv2.putText(mask, text, org, font, scale, 255, thickness, lineType=AA)
    if text == "ARRET":  # the circumflex on the Ê
        x = org[0] + int(tw * 0.71)
        y = org[1] - th - max(2, int(th * 0.25))
        cv2.line(mask, (x - 3, y + 3), (x, y), 255, max(1, thickness // 2), AA)
        cv2.line(mask, (x, y), (x + 3, y + 3), 255, max(1, thickness // 2), AA)
    m = (mask.astype(np.float32) / 255)[..., None]
    img[:] = img * (1 - m) + np.float32(colour) * m


def _octagon_base(s: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    rgb = np.zeros((s, s, 3), np.float32)
    alpha = np.zeros((s, s), np.float32)
    c, r = s / 2, s / 2 * 0.97
    phase = np.pi / 8
    _fill(rgb, _polygon(8, r, c, phase), _white(rng))
    _fill(alpha, _polygon(8, r, c, phase), 1.0)
    _fill(rgb, _polygon(8, r * rng.uniform(0.86, 0.92), c, phase), _red(rng))
    return rgb, alpha, r


def stop(s: int, rng: np.random.Generator) -> Layer:
    rgb, alpha, r = _octagon_base(s, rng)
    legend = LEGENDS[rng.integers(len(LEGENDS))]
    _legend(rgb, legend, s / 2, r * rng.uniform(1.2, 1.45), _white(rng), rng)
    return rgb, alpha


def red_octagon(s: int, rng: np.random.Generator) -> Layer:
    """A red octagon without a legend (a blank, a back-painted sign, or a dot/bar pattern)."""
    rgb, alpha, r = _octagon_base(s, rng)
    pattern = rng.integers(3)
    if pattern == 1:  # a small white dot
        _disc(rgb, s / 2, r * rng.uniform(0.12, 0.2), _white(rng))
    elif pattern == 2:  # a thin white ring inside
        c = int(s / 2 * 16)
        cv2.circle(rgb, (c, c), int(r * 0.55 * 16), _white(rng), max(1, int(r * 0.06)), AA, 4)
    return rgb, alpha


def yield_sign(s: int, rng: np.random.Generator) -> Layer:
    rgb = np.zeros((s, s, 3), np.float32)
    alpha = np.zeros((s, s), np.float32)
    c, r = s / 2, s / 2 * 0.98
    outer = _polygon(3, r, c + r * 0.18, np.pi / 2)  # point down
    _fill(rgb, outer, _white(rng))
    _fill(alpha, outer, 1.0)
    _fill(rgb, _polygon(3, r * 0.92, c + r * 0.18, np.pi / 2), _red(rng))
    _fill(rgb, _polygon(3, r * rng.uniform(0.5, 0.6), c + r * 0.18, np.pi / 2), _white(rng))
    return rgb, alpha


def no_entry(s: int, rng: np.random.Generator) -> Layer:
    rgb = np.zeros((s, s, 3), np.float32)
    alpha = np.zeros((s, s), np.float32)
    c, r = s / 2, s / 2 * 0.97
    _disc(rgb, c, r, _white(rng))
    _disc(alpha, c, r, 1.0)
    _disc(rgb, c, r * 0.93, _red(rng))
    h, w = r * rng.uniform(0.18, 0.26), r * rng.uniform(0.62, 0.75)
    cv2.rectangle(rgb, (int(c - w), int(c - h)), (int(c + w), int(c + h)), _white(rng), -1)
    return rgb, alpha


def prohibitory(s: int, rng: np.random.Generator) -> Layer:
    """A white disc with a red ring: speed limits (a number) or a bare prohibition."""
    rgb = np.zeros((s, s, 3), np.float32)
    alpha = np.zeros((s, s), np.float32)
    c, r = s / 2, s / 2 * 0.97
    _disc(rgb, c, r, _red(rng))
    _disc(alpha, c, r, 1.0)
    _disc(rgb, c, r * rng.uniform(0.72, 0.8), _white(rng))
    if rng.random() < 0.7:
        text = str(rng.choice(["20", "30", "50", "60", "70", "80", "100"]))
        dark = rng.uniform(0.02, 0.15)
        _legend(rgb, text, c, r * (0.8 if len(text) == 2 else 1.05), (dark, dark, dark), rng)
    return rgb, alpha


def mandatory_blue(s: int, rng: np.random.Generator) -> Layer:
    rgb = np.zeros((s, s, 3), np.float32)
    alpha = np.zeros((s, s), np.float32)
    c, r = s / 2, s / 2 * 0.97
    _disc(rgb, c, r, (rng.uniform(0.0, 0.1), rng.uniform(0.2, 0.4), rng.uniform(0.55, 0.85)))
    _disc(alpha, c, r, 1.0)
    # a white arrow, pointing a random direction
    t = rng.uniform(0, 2 * np.pi)
    d = np.array([np.cos(t), np.sin(t)])
    n = np.array([-d[1], d[0]])
    shaft = r * 0.13
    tip, base, neck = c + d * r * 0.65, c - d * r * 0.6, c + d * r * 0.1
    pts = np.array(
        [
            base + n * shaft,
            neck + n * shaft,
            neck + n * r * 0.38,
            tip,
            neck - n * r * 0.38,
            neck - n * shaft,
            base - n * shaft,
        ]
    )
    _fill(rgb, np.round(pts * 16).astype(np.int32), _white(rng))
    return rgb, alpha


# class name -> drawer; "background" has no sign
DRAWERS: dict[str, Callable[[int, np.random.Generator], Layer]] = {
    "stop": stop,
    "yield": yield_sign,
    "no_entry": no_entry,
    "prohibitory": prohibitory,
    "red_octagon": red_octagon,
    "mandatory_blue": mandatory_blue,
}
