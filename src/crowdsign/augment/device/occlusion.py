"""Device occlusion family ``cover`` (partial cover by an object entering from one side).

``stickers`` (anti-aliased rectangles, discs and scribbles drawn by OpenCV) has no device
version: on the device the ``default`` preset's occluder stage draws ``cover`` only.
"""

from __future__ import annotations

import math

import torch

from crowdsign.augment.device.ops import (
    col,
    coordinates,
    finish,
    lerp,
    pixels,
    rand,
    register,
    smooth_field,
    threshold_for_fraction,
    uniform,
)
from crowdsign.augment.occlusion import _COVER_COLOURS


@register("cover")
def cover(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A half-plane from a random direction with a wobbly edge and a textured fill."""
    fraction = lerp(severity, (0.0, 0.12, 0.22, 0.32, 0.42, 0.52))
    b, h, w = x.shape[0], *x.shape[-2:]
    phi = col(uniform(g, b, 0.0, 2.0 * math.pi, x))
    wobble = smooth_field(g, x, cells=4)
    texture = smooth_field(g, x, cells=10)
    palette = torch.as_tensor(_COVER_COLOURS, device=x.device)
    colour = palette[(rand(g, (b,), x) * len(palette)).long().clamp(max=len(palette) - 1)]

    ys, xs = coordinates(x)
    d = (xs - (w - 1) / 2) * torch.cos(phi) + (ys - (h - 1) / 2) * torch.sin(phi)
    d = d + float(pixels(x, 6.0)) * wobble
    mask = (d - threshold_for_fraction(d, fraction) + 0.5).clamp(0.0, 1.0)
    mask = torch.where(col(fraction > 0), mask, 0.0)
    fill = (texture * 0.8 + 0.6) * colour.view(b, 3, 1, 1)
    return finish(x + mask * (fill - x))
