"""Deterministic corruptions for the robustness benchmark: every family at severities 1–5.

``corrupt(image, family, severity, seed)`` depends only on its arguments; ``corrupt_batch``
gives image ``i`` of a batch its own seed derived from ``(seed, i)``, the same for every family
and severity, so the severities of one image differ only in magnitude.
"""

from __future__ import annotations

import numpy as np

import crowdsign.augment.color  # noqa: F401 (each family module registers its families)
import crowdsign.augment.occlusion  # noqa: F401
import crowdsign.augment.optics  # noqa: F401
import crowdsign.augment.viewpoint  # noqa: F401
import crowdsign.augment.weather  # noqa: F401
from crowdsign.augment.family import FAMILIES, MAX_SEVERITY

GROUP_ORDER: tuple[str, ...] = ("fading", "weather", "light", "viewpoint", "distance", "occlusion")

CORRUPTIONS: tuple[str, ...] = tuple(
    sorted(FAMILIES, key=lambda name: GROUP_ORDER.index(FAMILIES[name].group))
)
"""Every family name, grouped in :data:`GROUP_ORDER` (registration order within a group)."""

GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(name for name in CORRUPTIONS if FAMILIES[name].group == group)
    for group in GROUP_ORDER
}


def check_image(image: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``image`` is HWC uint8 with 3 channels."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"expected an HWC uint8 RGB image, got {image.dtype} array of shape {image.shape}"
        )


def _check_family_severity(family: str, severity: int) -> None:
    if family not in FAMILIES:
        raise ValueError(f"unknown corruption {family!r}; known: {', '.join(CORRUPTIONS)}")
    if isinstance(severity, bool) or int(severity) != severity or not 1 <= severity <= 5:
        raise ValueError(f"severity must be an integer in 1..{MAX_SEVERITY}, got {severity!r}")


def corrupt(image: np.ndarray, family: str, severity: int, seed: int) -> np.ndarray:
    """``image`` (H, W, 3) uint8 RGB corrupted by ``family`` at ``severity`` 1–5; same shape."""
    check_image(image)
    _check_family_severity(family, severity)
    rng = np.random.default_rng(seed)
    return FAMILIES[family].fn(np.ascontiguousarray(image), float(severity), rng)


def image_seeds(seed: int, n: int) -> np.ndarray:
    """(n,) per-image seeds derived from ``seed``; entry ``i`` does not depend on ``n``."""
    return np.array(
        [np.random.SeedSequence((seed, i)).generate_state(1)[0] for i in range(n)], np.uint32
    )


def corrupt_batch(
    images: np.ndarray,
    family: str,
    severity: int,
    seed: int = 0,
    *,
    seeds: np.ndarray | None = None,
) -> np.ndarray:
    """(N, H, W, 3) uint8 images, image ``i`` corrupted with seed ``image_seeds(seed, N)[i]``.

    Pass ``seeds`` (N,) instead to reuse precomputed per-image seeds (e.g. for chunks of a
    larger set: ``seeds=image_seeds(seed, total)[start:stop]``).
    """
    if images.ndim != 4:
        raise ValueError(f"expected (N, H, W, 3) images, got shape {images.shape}")
    _check_family_severity(family, severity)
    if seeds is None:
        seeds = image_seeds(seed, len(images))
    if len(seeds) != len(images):
        raise ValueError(f"{len(seeds)} seeds for {len(images)} images")
    fn = FAMILIES[family].fn
    out = np.empty(images.shape, np.uint8)
    for i, s in enumerate(seeds):
        image = np.ascontiguousarray(images[i])
        check_image(image)
        out[i] = fn(image, float(severity), np.random.default_rng(int(s)))
    return out
