"""Device weather families: ``fog``, ``rain``, ``snow``, ``glare``, ``shadow``.
Tables and formulas as ``crowdsign.augment.weather``; streak kernels are the NumPy family's."""

from __future__ import annotations

import math

import torch
from kornia.filters import filter2d, gaussian_blur2d

from crowdsign.augment.device.ops import (
    blend,
    col,
    coordinates,
    finish,
    lerp,
    pixels,
    rand,
    register,
    smooth_field,
    stack_kernels,
    threshold_for_fraction,
    uniform,
)
from crowdsign.augment.family import gaussian_peak, gaussian_size, line_kernel


@register("fog")
def fog(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Koschmieder blend toward a pale airlight with patchy thickness."""
    beta = col(lerp(severity, (0.0, 0.3, 0.6, 0.95, 1.35, 1.8)))
    b = x.shape[0]
    depth = smooth_field(g, x, cells=3).clamp(0.0, 1.0)
    grey = 205.0 + 30.0 * rand(g, (b,), x)

    haze = 1.0 - torch.exp(-0.25 * beta * depth - 0.75 * beta)
    airlight = torch.stack([grey, grey + 3.0, grey + 8.0], 1).view(b, 3, 1, 1)
    return finish(blend(x, haze, airlight))


@register("rain")
def rain(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Bright slanted streaks (sparse seeds convolved with a line) over an overcast scene."""
    density = col(lerp(severity, (0.0, 0.004, 0.008, 0.013, 0.02, 0.03)))
    length = pixels(x, lerp(severity, (0.0, 5.0, 7.0, 9.0, 11.0, 13.0)))
    opacity = col(lerp(severity, (0.0, 0.35, 0.45, 0.55, 0.62, 0.7)))
    overcast = col(lerp(severity, (0.0, 0.06, 0.12, 0.18, 0.24, 0.3)))
    b, h, w = x.shape[0], *x.shape[-2:]
    angle = 90.0 + uniform(g, b, -20.0, 20.0, x)
    seeds = (rand(g, (b, 1, h, w), x) < density).float()

    pairs = zip(length.clamp(min=1.0).tolist(), angle.tolist(), strict=True)
    kernels = stack_kernels([line_kernel(n, a, normalise=False) for n, a in pairs], x)
    streaks = filter2d(seeds, kernels, border_type="constant")
    alpha = streaks.clamp(max=1.0) * opacity
    x = x * (1.0 - overcast) + overcast * x.mean((2, 3), keepdim=True)
    return finish(blend(x, alpha, 215.0))


@register("snow")
def snow(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Falling flakes, snow stuck on the sign (more toward the top), a white haze."""
    flakes = col(lerp(severity, (0.0, 0.008, 0.016, 0.025, 0.035, 0.05)))
    stuck = lerp(severity, (0.0, 0.0, 0.06, 0.12, 0.2, 0.28))
    haze = col(lerp(severity, (0.0, 0.08, 0.14, 0.2, 0.26, 0.32)))
    sigma = float(pixels(x, 0.8))
    b, h, w = x.shape[0], *x.shape[-2:]
    flake_draw = rand(g, (b, 1, h, w), x)
    ys, _ = coordinates(x)
    field = smooth_field(g, x, cells=6) + 0.35 * (1.0 - ys / h)

    k = gaussian_size(sigma)
    flake_map = gaussian_blur2d((flake_draw < flakes).float(), (k, k), (sigma, sigma))
    alpha = (flake_map / gaussian_peak(sigma)).clamp(max=1.0)
    edge = threshold_for_fraction(field, stuck)
    crust = ((field - edge) * 25.0 + 0.5).clamp(0.0, 0.95)
    alpha = torch.where(col(stuck > 0), torch.maximum(alpha, crust), alpha)
    return finish(blend(x * (1.0 - haze) + haze * 225.0, alpha, 248.0))


@register("glare")
def glare(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A bright halo, two lens ghosts along its axis, a veil; screen blend of a warm map."""
    peak = col(lerp(severity, (0.0, 0.45, 0.6, 0.75, 0.88, 1.0)))
    radius = col(pixels(x, lerp(severity, (1.0, 10.0, 13.0, 16.0, 20.0, 25.0))))
    veil = col(lerp(severity, (0.0, 0.04, 0.08, 0.12, 0.17, 0.23)))
    b, h, w = x.shape[0], *x.shape[-2:]
    sx, sy = col(w * rand(g, (b,), x)), col(h * 0.6 * rand(g, (b,), x))
    ghost_at = uniform(g, 2 * b, 0.6, 1.4, x).view(b, 2)

    ys, xs = coordinates(x)
    glow = _blob(ys, xs, sy, sx, radius) * peak
    cx, cy = (w - 1) / 2, (h - 1) / 2
    for i, strength in enumerate((0.22, 0.12)):
        t = col(ghost_at[:, i])
        gx, gy = sx + t * 2 * (cx - sx), sy + t * 2 * (cy - sy)
        glow = glow + _blob(ys, xs, gy, gx, 0.35 * radius) * (strength * peak)
    glow = (glow + veil).clamp(max=1.0)
    warm = torch.tensor([255.0, 247.0, 224.0], device=x.device).view(1, 3, 1, 1)
    return finish(blend(x, glow, warm))


def _blob(ys, xs, cy, cx, sigma) -> torch.Tensor:
    k = -0.5 / (sigma * sigma)
    return torch.exp(k * (ys - cy) ** 2) * torch.exp(k * (xs - cx) ** 2)


@register("shadow")
def shadow(x: torch.Tensor, severity: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """A building edge (half-plane) or a pole (band) casts a bluish, soft-edged shadow."""
    dark = lerp(severity, (0.0, 0.3, 0.42, 0.54, 0.64, 0.74))
    cover = lerp(severity, (0.0, 0.3, 0.36, 0.42, 0.48, 0.55))
    soft = float(pixels(x, 1.5))
    b, h, w = x.shape[0], *x.shape[-2:]
    phi = col(uniform(g, b, 0.0, 2.0 * math.pi, x))
    is_band = col(rand(g, (b,), x) < 0.4)
    band_centre = col(uniform(g, b, -0.25, 0.25, x) * min(h, w))

    ys, xs = coordinates(x)
    d = (xs - (w - 1) / 2) * torch.cos(phi) + (ys - (h - 1) / 2) * torch.sin(phi)
    d = torch.where(is_band, -(d - band_centre).abs(), d)
    mask = ((d - threshold_for_fraction(d, cover)) / soft + 0.5).clamp(0.0, 1.0)
    loss = torch.stack([dark, 0.97 * dark, 0.85 * dark], 1).view(b, 3, 1, 1)
    return finish(x * (1.0 - mask * loss))
