"""The real signs a stop-sign model confuses with a stop sign, drawn as roads show them.

Upright red-rimmed warning triangles with black pictograms (road works, right of way, traffic
lights, animals, curves …), speed-limit discs with heavy numerals, red-ringed prohibitions with
pictograms, red sign-like objects (plain discs, lettered panels, stripes) and other common signs
(priority diamond, end-of-restriction discs). Same drawer contract as :mod:`.signs`.
"""

from __future__ import annotations

import numpy as np

from crowdsign.data.synthetic.draw import (
    Layer,
    black,
    canvas,
    disc,
    fill,
    fixed,
    line,
    paste,
    polygon,
    red,
    sign_white,
    text_mask,
    white,
)

SPEEDS = ("20", "30", "50", "60", "70", "80", "100", "120")
LETTERS = "ABDEFGHKLMNPRSTUVXZ0123456789"


def _car(img: np.ndarray, cx: float, cy: float, w: float, colour) -> None:
    """A car seen from behind: body, cabin and two wheels, ``w`` wide."""
    h = w * 0.45
    fill(img, fixed([[cx - w / 2, cy], [cx + w / 2, cy], [cx + w / 2, cy - h * 0.5],
                     [cx - w / 2, cy - h * 0.5]]), colour)  # fmt: skip
    fill(img, fixed([[cx - w * 0.35, cy - h * 0.5], [cx + w * 0.35, cy - h * 0.5],
                     [cx + w * 0.25, cy - h], [cx - w * 0.25, cy - h]]), colour)  # fmt: skip
    for dx in (-0.3, 0.3):
        disc(img, cx + dx * w, cy, w * 0.12, colour)


def _pictogram(img: np.ndarray, cx: float, cy: float, size: float, rng) -> None:
    """One of the black pictograms of a warning sign, about ``size`` pixels tall, at (cx, cy)."""
    k, ink, u = int(rng.integers(9)), black(rng), size / 2
    wide = max(1.0, size * rng.uniform(0.09, 0.15))
    draw = _signs_of_the_road if k < 5 else _figures_and_marks
    draw(k, img, cx, cy, u, ink, wide, rng)


def _signs_of_the_road(k: int, img, cx: float, cy: float, u: float, ink, wide: float, rng):
    """Pictograms 0-4: road works, right of way, traffic lights, danger, bends."""
    if k == 0:  # road works: a digging figure and a heap
        disc(img, cx - u * 0.2, cy - u * 0.75, u * 0.17, ink)
        line(img, (cx - u * 0.25, cy - u * 0.5), (cx - u * 0.05, cy + u * 0.2), ink, wide * 1.3)
        line(img, (cx - u * 0.05, cy + u * 0.2), (cx - u * 0.4, cy + u * 0.8), ink, wide)
        line(img, (cx - u * 0.2, cy - u * 0.3), (cx + u * 0.45, cy + u * 0.1), ink, wide * 0.7)
        fill(img, fixed([[cx + u * 0.2, cy + u * 0.8], [cx + u * 0.8, cy + u * 0.8],
                         [cx + u * 0.55, cy + u * 0.35]]), ink)  # fmt: skip
    elif k == 1:  # right of way: a heavy upright arrow crossed by a bar
        line(img, (cx, cy - u * 0.7), (cx, cy + u * 0.85), ink, wide * 1.6)
        line(img, (cx - u * 0.5, cy + u * 0.1), (cx + u * 0.5, cy + u * 0.1), ink, wide)
        fill(img, polygon(3, u * 0.35, cx, cy - u * 0.6, -np.pi / 2), ink)
    elif k == 2:  # traffic lights: red, amber, green
        if rng.random() < 0.4:
            fill(img, fixed([[cx - u * 0.3, cy - u], [cx + u * 0.3, cy - u],
                             [cx + u * 0.3, cy + u], [cx - u * 0.3, cy + u]]), ink)  # fmt: skip
        for dy, col in ((-0.6, (0.9, 0.1, 0.1)), (0, (0.95, 0.75, 0.1)), (0.6, (0.1, 0.7, 0.3))):
            disc(img, cx, cy + dy * u, u * 0.24, col)
    elif k == 3:  # general danger: an exclamation mark
        line(img, (cx, cy - u * 0.8), (cx, cy + u * 0.3), ink, wide * 1.5)
        disc(img, cx, cy + u * 0.7, wide * 0.9, ink)
    elif k == 4:  # a bend or double bend
        sgn = rng.choice([-1, 1])
        pts = [
            (cx - sgn * u * 0.2, cy + u),
            (cx - sgn * u * 0.2, cy),
            (cx + sgn * u * 0.3, cy - u * 0.5),
        ]
        pts += [(cx + sgn * u * 0.3, cy - u * 0.9)] if rng.random() < 0.5 else []
        for a, b in zip(pts, pts[1:], strict=False):
            line(img, a, b, ink, wide * 1.4)


def _figures_and_marks(k: int, img, cx: float, cy: float, u: float, ink, wide: float, rng):
    """Pictograms 5-8: an animal, bumps, pedestrians, or abstract strokes and blobs."""
    if k == 5:  # a leaping animal
        body = np.array(
            [[-0.6, 0.1], [0.3, -0.2], [0.5, -0.6], [0.7, -0.5], [0.5, 0.1], [-0.5, 0.4]]
        )
        fill(img, fixed(np.array([cx, cy]) + body * u), ink)
        for a, b in (
            ((-0.5, 0.3), (-0.9, 0.8)),
            ((0.3, 0.0), (0.6, 0.8)),
            ((0.5, -0.6), (0.3, -0.95)),
        ):
            line(
                img, (cx + a[0] * u, cy + a[1] * u), (cx + b[0] * u, cy + b[1] * u), ink, wide * 0.6
            )
    elif k == 6:  # bumps, or a car skidding
        for dx in (-0.45, 0.45):
            disc(img, cx + dx * u, cy + u * 0.4, u * 0.4, ink)
        fill(img, fixed([[cx - u, cy + u * 0.4], [cx + u, cy + u * 0.4], [cx + u, cy + u * 0.6],
                         [cx - u, cy + u * 0.6]]), ink)  # fmt: skip
    elif k == 7:  # pedestrians or children: heads and bodies
        for dx in (-0.3, 0.3)[: int(rng.integers(1, 3))]:
            disc(img, cx + dx * u, cy - u * 0.7, u * 0.16, ink)
            line(img, (cx + dx * u, cy - u * 0.45), (cx + dx * u, cy + u * 0.2), ink, wide * 1.3)
            line(img, (cx + dx * u, cy + u * 0.2), (cx + (dx - 0.2) * u, cy + u * 0.9), ink, wide)
            line(img, (cx + dx * u, cy + u * 0.2), (cx + (dx + 0.2) * u, cy + u * 0.9), ink, wide)
    else:  # an abstract pictogram: two to four black strokes and blobs
        for _ in range(int(rng.integers(2, 5))):
            a, b = cx + rng.uniform(-u, u, 2) * 0.8, cy + rng.uniform(-u, u, 2) * 0.8
            if rng.random() < 0.5:
                line(img, (a[0], b[0]), (a[1], b[1]), ink, wide * rng.uniform(0.8, 1.6))
            else:
                disc(img, a[0], b[0], u * rng.uniform(0.1, 0.3), ink)


def warning(s: int, rng: np.random.Generator) -> Layer:
    """An upright triangle: thin white edge, red rim, white or yellowish field, black pictogram."""
    rgb, alpha = canvas(s)
    c, r = s / 2, s / 2 * 0.98
    cy = c + r * 0.25  # centroid of a point-up triangle, so the triangle is centred
    up = -np.pi / 2
    fill(rgb, polygon(3, r, c, cy, up), white(rng))
    fill(alpha, polygon(3, r, c, cy, up), 1.0)
    fill(rgb, polygon(3, r * rng.uniform(0.88, 0.96), c, cy, up), red(rng))
    inner = rng.uniform(0.55, 0.7)
    fill(rgb, polygon(3, r * inner, c, cy, up), sign_white(rng))
    _pictogram(rgb, c, cy + r * 0.02, r * inner * rng.uniform(0.7, 0.9), rng)
    return rgb, alpha


def _ringed_disc(s: int, rng: np.random.Generator, field=None) -> tuple[Layer, float, float]:
    """A red-ringed disc (sometimes with a thin white edge): layer, centre, inner radius."""
    rgb, alpha = canvas(s)
    c, r = s / 2, s / 2 * 0.97
    edge = 1.0 if rng.random() < 0.6 else rng.uniform(0.9, 0.96)
    disc(rgb, c, c, r, white(rng))
    disc(alpha, c, c, r, 1.0)
    disc(rgb, c, c, r * edge, red(rng))
    inner = r * edge * rng.uniform(0.7, 0.84)
    disc(rgb, c, c, inner, field if field is not None else sign_white(rng))
    return (rgb, alpha), c, inner


def speed_limit(s: int, rng: np.random.Generator) -> Layer:
    """A red-ringed white disc with a heavy black speed (20 … 120)."""
    (rgb, alpha), c, inner = _ringed_disc(s, rng)
    text = SPEEDS[rng.integers(len(SPEEDS))]
    w = inner * (rng.uniform(1.0, 1.3) if len(text) == 2 else rng.uniform(1.4, 1.6))
    mask = text_mask(text, w, inner * rng.uniform(0.75, 1.0), rng)
    paste(rgb, mask, c, c, black(rng))
    return rgb, alpha


def prohibitory(s: int, rng: np.random.Generator) -> Layer:
    """A red-ringed disc: bare, no overtaking (two cars), no lorries, or no stopping/parking."""
    kind = int(rng.integers(4))
    field = (0.05, rng.uniform(0.2, 0.4), rng.uniform(0.55, 0.85)) if kind == 3 else None
    (rgb, alpha), c, inner = _ringed_disc(s, rng, field)
    if kind == 1:  # no overtaking: a red car beside a black one
        _car(rgb, c - inner * 0.4, c + inner * 0.2, inner * 0.65, red(rng))
        _car(rgb, c + inner * 0.4, c + inner * 0.2, inner * 0.65, black(rng))
    elif kind == 2:  # no lorries: a black lorry, side view
        ink = black(rng)
        fill(rgb, fixed([[c - inner * 0.7, c - inner * 0.3], [c + inner * 0.3, c - inner * 0.3],
                         [c + inner * 0.3, c + inner * 0.25], [c - inner * 0.7, c + inner * 0.25]]),
             ink)  # fmt: skip
        fill(rgb, fixed([[c + inner * 0.35, c - inner * 0.1], [c + inner * 0.7, c - inner * 0.1],
                         [c + inner * 0.7, c + inner * 0.25], [c + inner * 0.35, c + inner * 0.25]]),
             ink)  # fmt: skip
        for dx in (-0.45, 0.0, 0.5):
            disc(rgb, c + dx * inner, c + inner * 0.32, inner * 0.13, ink)
    elif kind == 3:  # no stopping: a red cross (or one bar) on blue
        colour, width = red(rng), inner * 0.22
        line(
            rgb,
            (c - inner * 0.7, c - inner * 0.7),
            (c + inner * 0.7, c + inner * 0.7),
            colour,
            width,
        )
        if rng.random() < 0.5:
            line(
                rgb,
                (c + inner * 0.7, c - inner * 0.7),
                (c - inner * 0.7, c + inner * 0.7),
                colour,
                width,
            )
    return rgb, alpha


def red_object(s: int, rng: np.random.Generator) -> Layer:
    """Red things that are not stop signs: a plain red disc or square, a red panel with white
    letters, red-and-white stripes, a red light in a black housing."""
    rgb, alpha = canvas(s)
    c, r = s / 2, s / 2 * 0.95
    kind = int(rng.integers(4))
    if kind == 0:  # a plain red disc, maybe white-edged
        disc(rgb, c, c, r, white(rng) if rng.random() < 0.5 else red(rng))
        disc(alpha, c, c, r, 1.0)
        disc(rgb, c, c, r * rng.uniform(0.85, 0.95), red(rng))
    elif kind == 1:  # a red panel (square or wide) with white letters
        h = r * rng.uniform(0.6, 1.0)
        box = fixed([[c - r, c - h], [c + r, c - h], [c + r, c + h], [c - r, c + h]])
        fill(rgb, box, red(rng))
        fill(alpha, box, 1.0)
        n = int(rng.integers(1, 5))
        text = "".join(LETTERS[i] for i in rng.integers(len(LETTERS), size=n))
        mask = text_mask(text, r * min(1.6, 0.45 * n + 0.3), h * rng.uniform(0.6, 1.1), rng)
        paste(rgb, mask, c, c, white(rng))
    elif kind == 2:  # red-and-white stripes (a barrier or a chevron board)
        box = fixed(
            [[c - r, c - r * 0.6], [c + r, c - r * 0.6], [c + r, c + r * 0.6], [c - r, c + r * 0.6]]
        )
        fill(rgb, box, white(rng))
        fill(alpha, box, 1.0)
        period, colour = r * rng.uniform(0.35, 0.7), red(rng)
        for x in np.arange(-3 * r, 3 * r, period):
            line(rgb, (c + x, c + r), (c + x + r, c - r), colour, period * 0.45)
        rgb *= alpha[..., None]
    else:  # a red light in a black housing
        fill(rgb, fixed([[c - r * 0.5, c - r], [c + r * 0.5, c - r], [c + r * 0.5, c + r],
                         [c - r * 0.5, c + r]]), black(rng))  # fmt: skip
        fill(alpha, fixed([[c - r * 0.5, c - r], [c + r * 0.5, c - r], [c + r * 0.5, c + r],
                           [c - r * 0.5, c + r]]), 1.0)  # fmt: skip
        disc(rgb, c, c - r * 0.5, r * 0.38, (rng.uniform(0.8, 1.0), 0.1, 0.1))
    return rgb, alpha


def other_sign(s: int, rng: np.random.Generator) -> Layer:
    """Other common signs: the yellow priority diamond, an end-of-restriction disc (white, grey
    diagonal stripes), a blue square with a white symbol."""
    rgb, alpha = canvas(s)
    c, r = s / 2, s / 2 * 0.97
    kind = int(rng.integers(3))
    if kind == 0:
        fill(rgb, polygon(4, r, c, c, 0), white(rng))
        fill(alpha, polygon(4, r, c, c, 0), 1.0)
        fill(rgb, polygon(4, r * 0.9, c, c, 0), black(rng))
        fill(rgb, polygon(4, r * 0.85, c, c, 0), white(rng))
        yellow = (rng.uniform(0.85, 1.0), rng.uniform(0.6, 0.85), rng.uniform(0.0, 0.2))
        fill(rgb, polygon(4, r * rng.uniform(0.5, 0.6), c, c, 0), yellow)
    elif kind == 1:
        disc(rgb, c, c, r, black(rng) if rng.random() < 0.5 else white(rng))
        disc(alpha, c, c, r, 1.0)
        disc(rgb, c, c, r * 0.94, sign_white(rng))
        if rng.random() < 0.4:
            text = SPEEDS[rng.integers(len(SPEEDS))]
            paste(rgb, text_mask(text, r * 0.9, r * 0.7, rng), c, c, (0.45, 0.45, 0.45))
        grey = black(rng) if rng.random() < 0.5 else (0.45, 0.45, 0.45)
        for off in np.linspace(-0.3, 0.3, int(rng.integers(1, 6))):
            line(rgb, (c - r * (0.65 - off), c + r * (0.65 + off)),
                 (c + r * (0.65 + off), c - r * (0.65 - off)), grey, r * 0.06)  # fmt: skip
    else:
        box = fixed([[c - r * 0.9, c - r * 0.9], [c + r * 0.9, c - r * 0.9],
                     [c + r * 0.9, c + r * 0.9], [c - r * 0.9, c + r * 0.9]])  # fmt: skip
        fill(rgb, box, (0.05, rng.uniform(0.25, 0.45), rng.uniform(0.6, 0.9)))
        fill(alpha, box, 1.0)
        letter = "PHAi"[int(rng.integers(4))]
        paste(rgb, text_mask(letter, r * 0.8, r * 1.1, rng), c, c, white(rng))
    return rgb, alpha
