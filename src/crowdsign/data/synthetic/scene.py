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
CONTRAST = (0.15, 0.5, 0.35)  # shares of flat, punchy and as-lit images (real crops are punchy)


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
    framing: str  # "crop": a tight crop of the sign, as sign datasets store it; "scene": a view
    size: float  # sign diameter as a fraction of the image side
    rotation: float
    yaw: float
    fade: float
    haze: float
    darkness: float  # 0 daylight … 0.82 night
    contrast: (
        float  # 0.35 flat (backlight, fog, a dirty lens) … 1 as lit … 2 punchy (auto-exposure)
    )
    noise: float
    resolution: int  # the side the camera captured the crop at, pixels; 0: the full size
    motion: float  # motion-blur length as a fraction of the image side
    pole: bool

    @property
    def difficulty(self) -> float:
        """0 (large, frontal, clear) … 1 (small, oblique, faded, hazy, dark, coarse)."""
        if self.kind == "background":
            return 0.0
        small = np.clip((0.6 - self.size) / 0.35, 0, 1)
        coarse = np.clip((32 - self.resolution) / 16, 0, 1) if self.resolution else 0.0
        d = 0.3 * small + 0.15 * self.yaw / 50 + 0.15 * self.fade / 0.6 + 0.1 * coarse
        d += (
            0.1 * self.haze / 0.5
            + 0.1 * self.darkness / 0.82
            + 0.1 * max(0.0, 1 - self.contrast) / 0.65
        )
        return float(np.clip(d, 0, 1))


def draw_params(kind: str, rng: np.random.Generator) -> SceneParams:
    crop = rng.random() < 0.75
    night = rng.random() < 0.35
    return SceneParams(
        kind=kind,
        background=BACKGROUNDS[rng.integers(len(BACKGROUNDS))],
        framing="crop" if crop else "scene",
        size=float(rng.uniform(0.72, 0.95) if crop else rng.uniform(0.3, 0.8)),
        rotation=float(rng.normal(0, 4)),
        yaw=float(min(abs(rng.normal(0, 18)), 50.0)),
        fade=float(rng.beta(1.2, 4) * 0.6),
        haze=float(rng.beta(1, 8) * 0.4),
        darkness=float(rng.uniform(0.4, 0.82) if night else rng.beta(1, 5) * 0.5),
        contrast=float(
            rng.choice([rng.uniform(0.35, 0.8), rng.uniform(1.2, 2.0), 1.0], p=CONTRAST)
        ),
        noise=float(rng.uniform(0.005, 0.04)),
        resolution=int(rng.integers(14, 49)) if rng.random() < 0.7 else 0,
        motion=float(rng.uniform(0.02, 0.08)) if rng.random() < 0.15 else 0.0,
        pole=bool(rng.random() < 0.6),
    )


def _place(p: SceneParams, s: int, d: float, rng: np.random.Generator) -> tuple[float, float]:
    """The sign's centre: near the middle for a crop (sometimes cut by the frame: a partial
    view), anywhere it fits for a scene."""
    if p.framing == "crop":
        cx, cy = s / 2 + rng.normal(0, 0.04 * s, 2)
        if rng.random() < 0.1:
            t = rng.uniform(0, 2 * np.pi)
            cx, cy = cx + np.cos(t) * d * 0.3, cy + np.sin(t) * d * 0.3
        return float(cx), float(cy)
    margin = d / 2 * 0.8
    lo, hi = min(margin, s / 2), max(s - margin, s / 2)
    return float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi))


def _sign(img: np.ndarray, p: SceneParams, rng: np.random.Generator) -> np.ndarray:
    """Draw the sign of ``p`` (worn, warped, lit) with its pole onto the (s, s) scene ``img``."""
    s = img.shape[0]
    d = p.size * s
    cx, cy = _place(p, s, d, rng)
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
    pitch = float(rng.normal(0, 8))
    rgb, alpha = warp_sign(
        rgb, alpha, s=s, cx=cx, cy=cy, size=d, rotation=p.rotation, yaw=p.yaw, pitch=pitch
    )
    shade = rng.uniform(0.75, 1.1)  # the sign's own lighting
    return img * (1 - alpha[..., None]) + rgb * shade * alpha[..., None]


def _camera(img: np.ndarray, p: SceneParams, size: int, rng: np.random.Generator) -> np.ndarray:
    """Atmosphere, exposure, contrast, colour cast, motion, noise, softness, then the camera's
    resolution: downsample to ``p.resolution`` and back up as a tight crop is enlarged."""
    s = img.shape[0]
    img = img * (1 - p.haze) + p.haze * rng.uniform(0.7, 0.9)
    img = img * (1 - p.darkness) * (rng.uniform(1.0, 1.4) if rng.random() < 0.15 else 1.0)
    mean = img.mean(axis=(0, 1), keepdims=True)
    img = mean + (img - mean) * p.contrast
    img = img * rng.normal(1.0, 0.06, 3).astype(np.float32)  # white balance
    if p.motion:
        n = max(3, int(p.motion * s) | 1)
        kernel = np.zeros((n, n), np.float32)
        t = rng.uniform(0, np.pi)
        half = (n - 1) / 2
        cv2.line(kernel, (int(half - np.cos(t) * half), int(half - np.sin(t) * half)),
                 (int(half + np.cos(t) * half), int(half + np.sin(t) * half)), 1.0, 1)  # fmt: skip
        img = cv2.filter2D(img, -1, kernel / kernel.sum())
    img = img + rng.normal(0, p.noise, img.shape).astype(np.float32)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.2))
    out = cv2.resize(np.clip(img, 0, 1), (size, size), interpolation=cv2.INTER_AREA)
    if p.resolution and p.resolution < size:
        low = cv2.resize(out, (p.resolution, p.resolution), interpolation=cv2.INTER_AREA)
        out = cv2.resize(low, (size, size), interpolation=cv2.INTER_LINEAR)
    return out


def render_scene(p: SceneParams, size: int, rng: np.random.Generator) -> np.ndarray:
    """Render one (size, size, 3) uint8 RGB image of the scene ``p``."""
    s = 2 * size
    img = background(p.background, s, rng)
    if rng.random() < 0.4:  # a background out of focus behind a sharp sign
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(1.0, 3.0))
    if p.kind != "background":
        img = _sign(img, p, rng)
    out = _camera(img.astype(np.float32), p, size, rng)
    return np.round(np.clip(out, 0, 1) * 255).astype(np.uint8)
