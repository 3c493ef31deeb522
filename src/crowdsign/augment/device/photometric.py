"""Device colour families (fading and light): ``fade``, ``dirt``, ``night``, ``overexposure``,
and the mild brightness/contrast jitter of the presets. Tables as ``crowdsign.augment.color``."""

from __future__ import annotations

import torch

from crowdsign.augment.color import _DIRT_COLOURS
from crowdsign.augment.device.ops import (
    blend,
    col,
    coordinates,
    finish,
    lerp,
    luma,
    rand,
    register,
    smooth_field,
    uniform,
)
from crowdsign.augment.family import LUMA


@register("fade")
def fade(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Sun bleaching: one 3×4 colour matrix per image (hue drift, desaturation, wash)."""
    drift = lerp(severity, (0.0, 0.06, 0.12, 0.18, 0.24, 0.30))
    desaturate = lerp(severity, (0.0, 0.15, 0.30, 0.45, 0.60, 0.72))
    wash = lerp(severity, (0.0, 0.08, 0.16, 0.24, 0.32, 0.40))
    b = x.shape[0]
    to_orange = rand(g, (b,), x) < 0.5

    eye = torch.eye(3, device=x.device).expand(b, 3, 3)
    m_drift = eye.clone()  # channel += k * (R - channel)
    pull = torch.stack(
        [torch.where(to_orange, drift, 0.35 * drift), torch.where(to_orange, 0.0, drift)], 1
    )
    for row, k in ((1, pull[:, 0]), (2, pull[:, 1])):
        m_drift[:, row, 0] += k
        m_drift[:, row, row] -= k
    luma_rows = torch.as_tensor(LUMA, device=x.device).expand(b, 3, 3)
    d = desaturate.view(-1, 1, 1)
    m = (1.0 - wash).view(-1, 1, 1) * (((1.0 - d) * eye + d * luma_rows) @ m_drift)
    pale = 0.5 * luma(x).mean((1, 2, 3)) + 0.5 * 235.0
    out = torch.einsum("bij,bjhw->bihw", m, x) + col(wash * pale)
    return finish(out)


@register("dirt")
def dirt(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Grime: a blotchy brown-grey film and dark specks."""
    opacity = col(lerp(severity, (0.0, 0.18, 0.30, 0.42, 0.54, 0.66)))
    specks = col(lerp(severity, (0.0, 0.004, 0.008, 0.016, 0.026, 0.04)))
    b, h, w = x.shape[0], *x.shape[-2:]
    field = smooth_field(g, x, cells=5)
    speck_draw = rand(g, (b, 1, h, w), x)
    palette = torch.as_tensor(_DIRT_COLOURS, device=x.device)
    pick = (rand(g, (b,), x) * len(palette)).long().clamp(max=len(palette) - 1)
    colour = palette[pick] * uniform(g, b, 0.85, 1.15, x)[:, None]

    alpha = field.clamp(0.0, 1.0) * (0.7 * opacity) + 0.3 * opacity
    alpha = torch.maximum(alpha, (speck_draw < specks) * 0.85)
    return finish(blend(x, alpha, colour.view(b, 3, 1, 1)))


@register("night")
def night(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Dusk to night: low gain and gamma, a cool cast, headlight fall-off, sensor noise."""
    gamma = col(lerp(severity, (1.0, 1.15, 1.35, 1.6, 1.9, 2.2)))
    gain = col(lerp(severity, (1.0, 0.85, 0.68, 0.52, 0.4, 0.3)))
    falloff = col(lerp(severity, (0.0, 0.15, 0.25, 0.35, 0.45, 0.55)))
    sigma = col(lerp(severity, (0.0, 2.0, 3.0, 4.0, 5.0, 6.0)))
    cool = lerp(severity, (0.0, 0.03, 0.06, 0.09, 0.12, 0.15))
    b, h, w = x.shape[0], *x.shape[-2:]
    cy, cx = col(h * uniform(g, b, 0.55, 0.95, x)), col(w * uniform(g, b, 0.3, 0.7, x))
    noise = (rand(g, (b, 3, h, w), x) - 0.5) * 12.0**0.5

    out = (255.0 * gain * (x / 255.0) ** gamma).round_()  # the NumPy family's lookup table
    ys, xs = coordinates(x)
    r2 = ((ys - cy) ** 2 + (xs - cx) ** 2) / float(max(h, w) ** 2)
    out = out * (1.0 - falloff * torch.clamp(2.0 * r2, max=1.0))
    tint = torch.stack([1.0 - cool, 1.0 - 0.3 * cool, 1.0 + 0.5 * cool], 1)
    return finish(out * tint.view(b, 3, 1, 1) + noise * sigma)


@register("overexposure")
def overexposure(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Over-exposure: gain and lifted blacks push highlights into clipping."""
    gain = col(lerp(severity, (1.0, 1.2, 1.4, 1.65, 1.95, 2.3)))
    lift = col(lerp(severity, (0.0, 5.0, 10.0, 15.0, 20.0, 26.0)))
    return finish(x * gain + lift)


def brightness_contrast(
    x: torch.Tensor, g: torch.Generator, *, brightness: float, contrast: float
) -> torch.Tensor:
    """albumentations' ``RandomBrightnessContrast`` per image: ``x * a + b * 255`` with
    ``a`` in ``1 ± contrast`` and ``b`` in ``± brightness`` (``brightness_by_max``)."""
    n = x.shape[0]
    a = uniform(g, n, 1.0 - contrast, 1.0 + contrast, x)
    b = uniform(g, n, -brightness, brightness, x)
    return finish(x * col(a) + col(b) * 255.0)
