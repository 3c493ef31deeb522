"""Device viewpoint families: ``perspective``, ``rotation``, ``shear``, ``scale``.

One batched ``kornia`` warp each, with a per-image matrix; bilinear, borders replicate the edge
pixels, pixel-centre coordinates as OpenCV's (tables as ``crowdsign.augment.viewpoint``).
"""

from __future__ import annotations

import math

import torch
from kornia.geometry.transform import get_perspective_transform, warp_affine, warp_perspective

from crowdsign.augment.device.ops import angles_rad, finish, lerp, rand, register, sign, uniform

_WARP = {"mode": "bilinear", "padding_mode": "border", "align_corners": True}


def _affine(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Warp each image by its ``(B, 2, 3)`` matrix (source → destination, as cv2)."""
    return finish(warp_affine(x, matrix, tuple(x.shape[-2:]), **_WARP))


def _centre(x: torch.Tensor) -> tuple[float, float]:
    h, w = x.shape[-2:]
    return (w - 1) / 2, (h - 1) / 2


@register("perspective")
def perspective(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """The sign plane turned about its vertical axis (yaw) and a little pitch, seen by a pinhole
    camera at 1.2 image widths."""
    b = x.shape[0]
    yaw = angles_rad(lerp(severity, (0.0, 20.0, 32.0, 44.0, 54.0, 62.0))) * sign(g, b, x)
    pitch = angles_rad(lerp(severity, (0.0, 3.0, 5.0, 7.0, 9.0, 11.0))) * sign(g, b, x)
    h, w = x.shape[-2:]
    cx, cy = _centre(x)
    focal = 1.2 * max(h, w)

    src = torch.tensor([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=torch.float32)
    src = src.to(x.device).expand(b, 4, 2)
    px, py = (src[..., 0] - cx), (src[..., 1] - cy)  # (B, 4)
    cos_y, sin_y = torch.cos(yaw)[:, None], torch.sin(yaw)[:, None]
    cos_p, sin_p = torch.cos(pitch)[:, None], torch.sin(pitch)[:, None]
    y1, z1 = py * cos_p, py * sin_p
    x2, z2 = px * cos_y + z1 * sin_y, -px * sin_y + z1 * cos_y
    depth = focal + z2
    dst = torch.stack([cx + focal * x2 / depth, cy + focal * y1 / depth], -1)
    matrix = get_perspective_transform(src, dst)
    return finish(warp_perspective(x, matrix, (h, w), **_WARP))


@register("rotation")
def rotation(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """In-plane rotation by ±angle about the centre (counter-clockwise positive, as cv2)."""
    theta = angles_rad(lerp(severity, (0.0, 5.0, 10.0, 15.0, 22.0, 30.0))) * sign(g, x.shape[0], x)
    cx, cy = _centre(x)
    a, s = torch.cos(theta), torch.sin(theta)
    row0 = torch.stack([a, s, (1 - a) * cx - s * cy], 1)
    row1 = torch.stack([-s, a, s * cx + (1 - a) * cy], 1)
    return _affine(x, torch.stack([row0, row1], 1))


@register("shear")
def shear(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Shear along x or y by ±angle about the centre."""
    b = x.shape[0]
    k = torch.tan(angles_rad(lerp(severity, (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)))) * sign(g, b, x)
    along_x = rand(g, (b,), x) < 0.5
    cx, cy = _centre(x)
    one, zero = torch.ones_like(k), torch.zeros_like(k)
    kx, ky = torch.where(along_x, k, zero), torch.where(along_x, zero, k)
    row0 = torch.stack([one, kx, -kx * cy], 1)
    row1 = torch.stack([ky, one, -ky * cx], 1)
    return _affine(x, torch.stack([row0, row1], 1))


@register("scale")
def scale(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Shrink about the centre, then translate in a random direction (farther, off-centre)."""
    factor = lerp(severity, (1.0, 0.85, 0.72, 0.6, 0.5, 0.42))
    offset = lerp(severity, (0.0, 0.03, 0.06, 0.09, 0.12, 0.15)) * min(x.shape[-2:])
    theta = uniform(g, x.shape[0], 0.0, 2.0 * math.pi, x)
    cx, cy = _centre(x)
    tx = cx * (1.0 - factor) + offset * torch.cos(theta)
    ty = cy * (1.0 - factor) + offset * torch.sin(theta)
    zero = torch.zeros_like(factor)
    row0 = torch.stack([factor, zero, tx], 1)
    row1 = torch.stack([zero, factor, ty], 1)
    return _affine(x, torch.stack([row0, row1], 1))
