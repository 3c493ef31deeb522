"""The corruption-family registry and the small numpy/cv2 helpers the families share.

A *family* is a function ``fn(image, severity, rng) -> image`` on HWC uint8 RGB images:

- ``severity`` is a float in ``[0, 5]``; 0 is the identity and 1–5 are the ImageNet-C style
  levels. Every magnitude (angle, blur radius, fog density, …) is read from a table of six values
  at severities 0..5 and interpolated linearly in between, so train presets can draw a random
  severity from a range and the benchmark can use the integer levels.
- ``rng`` decides only *where* and *which way* (streak positions, rotation sign, shadow
  direction), never *how much*: the magnitude is a function of ``severity`` alone. Families draw
  their random numbers in the same order at every severity, so for one seed a higher severity
  is a stronger version of the same corruption.
- Lengths are tabulated for a 64 px image and scale with the image side (``pixels``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

FamilyFn = Callable[[np.ndarray, float, np.random.Generator], np.ndarray]

MAX_SEVERITY = 5
REFERENCE_SIZE = 64  # pixel-valued tables are given for this image side

LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # Rec. 601 weights for RGB


@dataclass(frozen=True)
class Family:
    """A named corruption family: ``fn(image, severity, rng) -> image``, in ``group``."""

    name: str
    group: str
    fn: FamilyFn

    @property
    def description(self) -> str:
        """First line of the family function's docstring."""
        return (self.fn.__doc__ or self.name).strip().splitlines()[0]

    def __call__(self, image: np.ndarray, severity: float, rng: np.random.Generator) -> np.ndarray:
        return self.fn(image, severity, rng)


FAMILIES: dict[str, Family] = {}


def register(name: str, *, group: str) -> Callable[[FamilyFn], FamilyFn]:
    """Decorator adding ``fn`` to :data:`FAMILIES` as ``name`` in ``group``."""

    def decorate(fn: FamilyFn) -> FamilyFn:
        if name in FAMILIES:
            raise ValueError(f"corruption family {name!r} registered twice")
        FAMILIES[name] = Family(name=name, group=group, fn=fn)
        return fn

    return decorate


# --- severity and size ------------------------------------------------------------------------
def lerp(severity: float, table: Sequence[float]) -> float:
    """``table`` holds values at severities 0..5; interpolate linearly at ``severity``."""
    s = min(max(float(severity), 0.0), float(MAX_SEVERITY))
    i = min(int(s), MAX_SEVERITY - 1)
    return table[i] + (table[i + 1] - table[i]) * (s - i)


def pixels(image: np.ndarray, length_at_64: float) -> float:
    """A length tabulated for a 64 px image, scaled to this image's shorter side."""
    return length_at_64 * min(image.shape[:2]) / REFERENCE_SIZE


# --- arrays -----------------------------------------------------------------------------------
# numpy broadcasts along a trailing axis of length 3 slowly (~30 µs for a 64 px image, 20× a
# same-shape op), so per-channel work goes through cv2 (``gray3``, ``scale_channels``,
# ``blend``) and numpy only sees same-shape or scalar operands.
def to_uint8(x: np.ndarray) -> np.ndarray:
    """Round (half to even) and saturate a float32 image to uint8."""
    return cv2.addWeighted(x, 1.0, x, 0.0, 0.0, dtype=cv2.CV_8U)


def gray3(plane: np.ndarray) -> np.ndarray:
    """(H, W) float32 → (H, W, 3): the plane repeated in every channel."""
    return cv2.cvtColor(plane, cv2.COLOR_GRAY2RGB)


def scale_channels(x: np.ndarray, factors: Sequence[float]) -> np.ndarray:
    """(H, W, 3) float32 with channel ``c`` multiplied by ``factors[c]``."""
    return cv2.transform(x, np.diag(np.asarray(factors, np.float32)))


def blend(x: np.ndarray, alpha: np.ndarray, colour: Sequence[float] | float) -> np.ndarray:
    """``x + alpha * (colour - x)``: x (H, W, 3) float32, alpha (H, W) float32, an RGB colour."""
    if np.isscalar(colour):
        diff = np.float32(colour) - x
    else:
        diff = cv2.subtract((*(float(c) for c in colour), 0.0), x)
    diff *= gray3(alpha)
    diff += x
    return diff


@functools.lru_cache(maxsize=32)
def coordinates(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Read-only (H, 1) row and (1, W) column pixel-centre coordinates, for broadcasting."""
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys.flags.writeable = False
    xs.flags.writeable = False
    return ys, xs


def smooth_field(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """(H, W) float32 low-frequency noise in about [0, 1] from a ``cells``² random grid.

    Bicubic up to a quarter of the size, then bilinear: smooth, and ~5× cheaper than bicubic
    all the way.
    """
    grid = rng.random((cells + 1, cells + 1), dtype=np.float32)
    mid_size = (max(w // 4, cells + 1), max(h // 4, cells + 1))
    mid = cv2.resize(grid, mid_size, interpolation=cv2.INTER_CUBIC)
    return cv2.resize(mid, (w, h), interpolation=cv2.INTER_LINEAR)


def unit_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Zero-mean, unit-variance float32 noise; uniform, ~5× cheaper than ``standard_normal``."""
    noise = rng.random(shape, dtype=np.float32)
    noise -= 0.5
    noise *= np.float32(math.sqrt(12.0))
    return noise


def threshold_for_fraction(values: np.ndarray, fraction: float) -> float:
    """The value above which ``fraction`` of ``values`` lie (an order statistic, no sort)."""
    flat = values.ravel()
    k = min(max(int(round((1.0 - fraction) * flat.size)), 0), flat.size - 1)
    return float(np.partition(flat, k)[k])


def line_kernel(length: float, angle_deg: float, *, normalise: bool) -> np.ndarray:
    """A line segment of ``length`` px at ``angle_deg`` (0 = horizontal) as a 2D kernel.

    Built by splatting points every 1/8 px bilinearly, so it changes continuously with length
    and angle (``cv2.line`` quantises both). Sums to 1 with ``normalise``, else to ``length``
    (about 1 per pixel along the line). Cached on length and angle rounded to 1/8 px and 1°.
    """
    return _line_kernel(round(length * 8) / 8, round(angle_deg), normalise).copy()


@functools.lru_cache(maxsize=512)
def _line_kernel(length: float, angle_deg: int, normalise: bool) -> np.ndarray:
    size = 2 * math.ceil(length / 2 + 0.5) + 1
    c = (size - 1) / 2
    t = np.linspace(-0.5, 0.5, max(2, math.ceil(length * 8) + 1)) * length
    x = c + t * math.cos(math.radians(angle_deg))
    y = c + t * math.sin(math.radians(angle_deg))
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    kernel = np.zeros((size, size), np.float64)
    for dy, dx, weight in (
        (0, 0, (1 - fx) * (1 - fy)),
        (0, 1, fx * (1 - fy)),
        (1, 0, (1 - fx) * fy),
        (1, 1, fx * fy),
    ):
        np.add.at(kernel, (y0 + dy, x0 + dx), weight)
    kernel *= (1.0 if normalise else max(length, 1.0)) / kernel.sum()
    return kernel.astype(np.float32)


def gaussian_peak(sigma: float) -> float:
    """Centre value of ``cv2.GaussianBlur(delta, (k, k), sigma)`` with ``k = gaussian_size``."""
    centre = cv2.getGaussianKernel(gaussian_size(sigma), sigma)[gaussian_size(sigma) // 2, 0]
    return float(centre * centre)


def gaussian_size(sigma: float) -> int:
    """Odd kernel side covering ±3 sigma."""
    return 2 * math.ceil(3 * sigma) + 1


@functools.lru_cache(maxsize=256)
def disk_kernel(radius: float) -> np.ndarray:
    """A normalised anti-aliased disk of ``radius`` px (defocus point-spread function)."""
    r = max(radius, 0.0)
    half = math.ceil(r + 0.5)
    ys, xs = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    kernel = np.clip(r + 0.5 - np.sqrt(xs * xs + ys * ys), 0.0, 1.0)
    kernel /= kernel.sum()
    kernel.flags.writeable = False
    return kernel
