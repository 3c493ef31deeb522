"""Batched torch helpers the device families share: per-image severities, fields, kernels.

Images are ``(B, 3, H, W)`` float32 in ``[0, 255]`` on any device; every per-image quantity is a
``(B,)`` tensor; every random number comes from the ``torch.Generator`` passed in (on the
images' device). Magnitude tables are the NumPy families' (``crowdsign.augment.family.lerp``
semantics: six values at severities 0..5, linear in between).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from crowdsign.augment.family import LUMA, MAX_SEVERITY, REFERENCE_SIZE

DeviceFamilyFn = Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]

DEVICE_FAMILIES: dict[str, DeviceFamilyFn] = {}


def register(name: str) -> Callable[[DeviceFamilyFn], DeviceFamilyFn]:
    """Decorator adding ``fn(images, severity, generator) -> images`` as family ``name``."""

    def decorate(fn: DeviceFamilyFn) -> DeviceFamilyFn:
        if name in DEVICE_FAMILIES:
            raise ValueError(f"device family {name!r} registered twice")
        DEVICE_FAMILIES[name] = fn
        return fn

    return decorate


def lerp(severity: torch.Tensor, table: Sequence[float]) -> torch.Tensor:
    """``(B,)`` table values (severities 0..5) interpolated at each image's ``severity``."""
    values = torch.tensor(table, dtype=torch.float32, device=severity.device)
    s = severity.float().clamp(0.0, float(MAX_SEVERITY))
    i = s.floor().clamp(max=MAX_SEVERITY - 1).long()
    return values[i] + (values[i + 1] - values[i]) * (s - i)


def pixels(x: torch.Tensor, length_at_64: float | torch.Tensor) -> float | torch.Tensor:
    """A length tabulated for 64 px, scaled to the images' shorter side."""
    return length_at_64 * min(x.shape[-2:]) / REFERENCE_SIZE


def uniform(
    g: torch.Generator, n: int, low: float, high: float, like: torch.Tensor
) -> torch.Tensor:
    """``(n,)`` uniform draws in ``[low, high)`` on ``like``'s device."""
    return torch.rand(n, generator=g, device=like.device) * (high - low) + low


def rand(g: torch.Generator, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    return torch.rand(shape, generator=g, device=like.device)


def sign(g: torch.Generator, n: int, like: torch.Tensor) -> torch.Tensor:
    """``(n,)`` of ±1, each with probability 1/2."""
    return torch.where(rand(g, (n,), like) < 0.5, 1.0, -1.0)


def col(v: torch.Tensor) -> torch.Tensor:
    """``(B,)`` → ``(B, 1, 1, 1)`` for broadcasting over images."""
    return v.view(-1, 1, 1, 1)


def finish(x: torch.Tensor) -> torch.Tensor:
    """Round half to even and saturate, as the NumPy families' uint8 output."""
    return x.round_().clamp_(0.0, 255.0)


def luma(x: torch.Tensor) -> torch.Tensor:
    """``(B, 1, H, W)`` Rec. 601 luma."""
    w = torch.as_tensor(LUMA, device=x.device).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def coordinates(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(1, 1, H, 1)`` row and ``(1, 1, 1, W)`` column pixel-centre coordinates."""
    h, w = x.shape[-2:]
    ys = torch.arange(h, dtype=torch.float32, device=x.device).view(1, 1, h, 1)
    xs = torch.arange(w, dtype=torch.float32, device=x.device).view(1, 1, 1, w)
    return ys, xs


def blend(x: torch.Tensor, alpha: torch.Tensor, colour: torch.Tensor | float) -> torch.Tensor:
    """``x + alpha * (colour - x)``; alpha ``(B, 1, H, W)``, colour ``(B, 3, 1, 1)`` or a number."""
    return x + alpha * (colour - x)


def smooth_field(g: torch.Generator, x: torch.Tensor, cells: int) -> torch.Tensor:
    """``(B, 1, H, W)`` low-frequency noise in about [0, 1] from a ``cells``² random grid
    (bicubic to a quarter of the size, then bilinear, as the NumPy families)."""
    b, h, w = x.shape[0], *x.shape[-2:]
    grid = rand(g, (b, 1, cells + 1, cells + 1), x)
    mid = F.interpolate(grid, size=(max(h // 4, cells + 1), max(w // 4, cells + 1)), mode="bicubic")
    return F.interpolate(mid, size=(h, w), mode="bilinear")


def threshold_for_fraction(values: torch.Tensor, fraction: torch.Tensor) -> torch.Tensor:
    """``(B, 1, 1, 1)``: per image, the value above which ``fraction`` ``(B,)`` of its
    ``values`` ``(B, 1, H, W)`` lie (the NumPy families' order statistic)."""
    flat = values.flatten(1)
    n = flat.shape[1]
    k = ((1.0 - fraction) * n).round().long().clamp(0, n - 1)
    return col(flat.sort(dim=1).values.gather(1, k[:, None])[:, 0])


def stack_kernels(kernels: list[np.ndarray], like: torch.Tensor) -> torch.Tensor:
    """``(B, k, k)`` float32: square 2D kernels zero-padded about their centres to one size."""
    size = max(k.shape[0] for k in kernels)
    out = np.zeros((len(kernels), size, size), np.float32)
    for i, k in enumerate(kernels):
        o = (size - k.shape[0]) // 2
        out[i, o : o + k.shape[0], o : o + k.shape[1]] = k
    return torch.from_numpy(out).to(like.device)


def angles_rad(degrees: torch.Tensor) -> torch.Tensor:
    return degrees * (math.pi / 180.0)
