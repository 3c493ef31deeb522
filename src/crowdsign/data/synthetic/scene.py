"""Scene composition: background, pole, a warped and worn sign, light, noise and softness.

:func:`render_scene` draws one image at twice the target size and area-downsamples it, which
gives anti-aliased edges like a real camera's. Everything random comes from the ``rng`` given.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from crowdsign.data.synthetic.signs import DRAWERS

BACKGROUNDS = ("sky", "foliage", "building", "road")


def _noise_texture(s: int, rng: np.random.Generator, octaves: int = 4) -> np.ndarray:
    """Multi-scale value noise in [0, 1], (s, s)."""
    out = np.zeros((s, s), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        n = max(2, 2 ** (o + 2))
        small = rng.random((n, n)).astype(np.float32)
        out += amp * cv2.resize(small, (s, s), interpolation=cv2.INTER_CUBIC)
        total += amp
        amp *= 0.55
    out /= total
    return np.clip((out - out.min()) / max(float(np.ptp(out)), 1e-6), 0, 1)


def background(kind: str, s: int, rng: np.random.Generator) -> np.ndarray:
    """An (s, s, 3) float32 RGB background in [0, 1]."""
    y = np.linspace(0, 1, s, dtype=np.float32)[:, None, None]
    if kind == "sky":
        top = np.array([rng.uniform(0.25, 0.5), rng.uniform(0.45, 0.7), rng.uniform(0.75, 0.95)])
        bottom = np.array([rng.uniform(0.75, 0.95)] * 3) * rng.uniform(0.9, 1.0, 3)
        img = top * (1 - y) + bottom * y
        clouds = _noise_texture(s, rng, 3)[..., None]
        img = img * (1 - 0.5 * clouds * rng.uniform(0, 1)) + 0.5 * clouds * rng.uniform(0, 0.8)
    elif kind == "foliage":
        base = np.array([rng.uniform(0.1, 0.35), rng.uniform(0.3, 0.55), rng.uniform(0.05, 0.2)])
        tex = _noise_texture(s, rng, 5)[..., None]
        img = base * (0.45 + 0.9 * tex)
        if rng.random() < 0.3:  # autumn: some red/orange leaves, a realistic confuser
            img[..., 0] += 0.35 * (tex[..., 0] > 0.6)
    elif kind == "building":
        wall = np.array([rng.uniform(0.4, 0.75)] * 3) * rng.uniform(0.8, 1.1, 3)
        img = np.broadcast_to(wall, (s, s, 3)).astype(np.float32).copy()
        period = int(rng.integers(s // 6, s // 3))
        win = np.array([rng.uniform(0.1, 0.35)] * 3)
        for x0 in range(int(rng.integers(0, period)), s, period):
            for y0 in range(int(rng.integers(0, period)), s, period):
                cv2.rectangle(img, (x0, y0), (x0 + period // 2, y0 + period // 2), win.tolist(), -1)
        img *= 0.85 + 0.3 * _noise_texture(s, rng, 3)[..., None]
    else:  # road: asphalt with a lane marking, horizon of sky
        asphalt = rng.uniform(0.25, 0.45)
        img = np.full((s, s, 3), asphalt, np.float32)
        img *= 0.8 + 0.4 * _noise_texture(s, rng, 5)[..., None]
        horizon = int(s * rng.uniform(0.15, 0.45))
        img[:horizon] = np.array([0.6, 0.72, 0.85]) * rng.uniform(0.8, 1.1)
        x = int(s * rng.uniform(0.3, 0.7))
        cv2.line(img, (x, s), (s // 2, horizon), (0.9, 0.9, 0.85), max(1, s // 40))
    # a lighting gradient across the scene
    gx = np.linspace(-1, 1, s, dtype=np.float32)[None, :, None]
    img = img * (1 + rng.uniform(-0.25, 0.25) * gx + rng.uniform(-0.2, 0.2) * (y - 0.5))
    return np.clip(img, 0, 1).astype(np.float32)


def warp_sign(
    rgb: np.ndarray,
    alpha: np.ndarray,
    *,
    s: int,
    cx: float,
    cy: float,
    size: float,
    rotation: float,
    yaw: float,
    pitch: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Place a drawn sign (square layer) on an (s, s) canvas: scale, rotate, and the perspective
    of a sign seen at ``yaw``/``pitch`` degrees off-axis."""
    n = rgb.shape[0]
    src = np.float32([[0, 0], [n, 0], [n, n], [0, n]])
    h = size / 2
    cy_, sy_ = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    cp = np.cos(np.radians(pitch))
    # corners of a square sign turned by yaw (about the vertical axis): the far edge is shorter
    corners = np.float32(
        [
            [-h * cy_, -h * cp * (1 - 0.25 * sy_)],
            [h * cy_, -h * cp * (1 + 0.25 * sy_)],
            [h * cy_, h * cp * (1 + 0.25 * sy_)],
            [-h * cy_, h * cp * (1 - 0.25 * sy_)],
        ]
    )
    t = np.radians(rotation)
    rot = np.float32([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    dst = corners @ rot.T + np.float32([cx, cy])
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    out_rgb = cv2.warpPerspective(rgb, m, (s, s), flags=cv2.INTER_LINEAR)
    out_a = cv2.warpPerspective(alpha, m, (s, s), flags=cv2.INTER_LINEAR)
    return out_rgb, out_a


@dataclass(frozen=True)
class SceneParams:
    """What was drawn: stored per image as metadata."""

    kind: str
    background: str
    size: float  # sign diameter as a fraction of the image side
    rotation: float
    yaw: float
    fade: float
    haze: float
    darkness: float
    noise: float
    pole: bool

    @property
    def difficulty(self) -> float:
        """0 (large, frontal, clear) … 1 (small, oblique, faded, hazy, dark)."""
        if self.kind == "background":
            return 0.0
        small = np.clip((0.6 - self.size) / 0.35, 0, 1)
        d = 0.35 * small + 0.2 * self.yaw / 50 + 0.2 * self.fade / 0.6
        d += 0.15 * self.haze / 0.5 + 0.1 * self.darkness / 0.6
        return float(np.clip(d, 0, 1))


def draw_params(kind: str, rng: np.random.Generator) -> SceneParams:
    return SceneParams(
        kind=kind,
        background=BACKGROUNDS[rng.integers(len(BACKGROUNDS))],
        size=float(rng.uniform(0.38, 0.9)),
        rotation=float(rng.normal(0, 5)),
        yaw=float(min(abs(rng.normal(0, 20)), 50.0)),
        fade=float(rng.beta(1.2, 4) * 0.6),
        haze=float(rng.beta(1, 5) * 0.5),
        darkness=float(rng.beta(1, 5) * 0.6),
        noise=float(rng.uniform(0.005, 0.03)),
        pole=bool(rng.random() < 0.6),
    )


def render_scene(p: SceneParams, size: int, rng: np.random.Generator) -> np.ndarray:
    """Render one (size, size, 3) uint8 RGB image of the scene ``p``."""
    s = 2 * size
    img = background(p.background, s, rng)
    if p.kind != "background":
        d = p.size * s
        margin = d / 2 * 0.8
        cx = rng.uniform(min(margin, s / 2), max(s - margin, s / 2))
        cy = rng.uniform(min(margin, s / 2), max(s - margin, s / 2))
        if p.pole:
            w = max(2, int(d * 0.08))
            grey = rng.uniform(0.35, 0.6)
            cv2.rectangle(img, (int(cx - w / 2), int(cy)), (int(cx + w / 2), s), (grey,) * 3, -1)
        layer = int(np.ceil(d)) + 8
        rgb, alpha = DRAWERS[p.kind](layer, rng)
        # wear: sun-bleaching lifts red towards pink/white, dirt darkens in blotches
        rgb = rgb + p.fade * (np.float32([1.0, 0.75, 0.7]) - rgb) * 0.8
        dirt = _noise_texture(layer, rng, 3)[..., None]
        rgb = rgb * (1 - rng.uniform(0, 0.25) * dirt)
        rgb, alpha = warp_sign(
            rgb,
            alpha,
            s=s,
            cx=cx,
            cy=cy,
            size=d,
            rotation=p.rotation,
            yaw=p.yaw,
            pitch=float(rng.normal(0, 8)),
        )
        shade = rng.uniform(0.75, 1.1)  # the sign's own lighting
        img = img * (1 - alpha[..., None]) + rgb * shade * alpha[..., None]
    # atmosphere, light, sensor
    img = img * (1 - p.haze) + p.haze * rng.uniform(0.7, 0.9)
    img = img * (1 - p.darkness)
    img = img + rng.normal(0, p.noise, img.shape).astype(np.float32)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.1))
    out = cv2.resize(np.clip(img, 0, 1), (size, size), interpolation=cv2.INTER_AREA)
    return np.round(out * 255).astype(np.uint8)
