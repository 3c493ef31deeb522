"""Train and eval presets: seeded callables on HWC uint8 images, built on albumentations.

A train preset is a sequence of *stages*, in the order light reaches the camera: the sign's
surface (fading, dirt, stickers), the light on it, the viewpoint, the weather in between, an
occluding object, then the optics (distance, motion, compression). Each stage applies, with its
probability, one corruption family drawn uniformly from the stage, at a severity drawn
uniformly from the preset's range (scaled by ``strength``). The benchmark's severities 4–5 lie
beyond the ``default`` range on purpose: robustness is measured partly out of range.

Expected cost per image stays low because every family costs tens of microseconds and no stage
applies to more than 60 % of images (``benchmarks/augment.py`` measures it).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import albumentations as A
import numpy as np

from crowdsign.augment.corruptions import GROUPS, check_image
from crowdsign.augment.family import MAX_SEVERITY
from crowdsign.augment.transforms import FamilyTransform, SquareResize

SURFACE = (*GROUPS["fading"], "stickers")
LIGHT = ("shadow", *GROUPS["light"])
VIEWPOINT = GROUPS["viewpoint"]
WEATHER = ("fog", "rain", "snow", "glare")
OCCLUDER = ("cover",)
DISTANCE = GROUPS["distance"]


class Preset:
    """An albumentations pipeline called as ``preset(image, seed=s)``.

    Each call reseeds one numpy Generator and one ``random.Random`` from ``seed`` and hands
    both to every transform, so the output depends only on (image, seed) — the same on any
    number of loader workers and after a resume — and transforms draw *successive* numbers
    from one stream. (``A.Compose.set_random_seed`` seeds every transform with the same seed,
    so all of them see the same first uniform: ``p=0.15`` then fires only when ``p=0.5`` does.)
    """

    def __init__(self, transforms: Sequence[A.BasicTransform | A.BaseCompose], *, name: str):
        self.name = name
        self.compose = A.Compose(list(transforms), seed=0)
        self._py_random = random.Random(0)

    def __call__(self, image: np.ndarray, *, seed: int = 0) -> np.ndarray:
        """(H, W, 3) uint8 RGB in, (size, size, 3) uint8 RGB out; ``seed`` a non-negative int."""
        check_image(image)
        self._py_random.seed(seed)
        self.compose.set_random_state(np.random.default_rng(seed), self._py_random)
        return self.compose(image=image)["image"]

    def __repr__(self) -> str:
        return f"Preset({self.name!r})"


def _stage(families: Sequence[str], *, p: float, severity: tuple[float, float]) -> FamilyTransform:
    """With probability ``p``, one of ``families`` (uniformly) at a severity in ``severity``."""
    return FamilyTransform(families, severity=severity, p=p)


def _none(strength: float) -> list[A.BasicTransform | A.BaseCompose]:
    return []


def _light(strength: float) -> list[A.BasicTransform | A.BaseCompose]:
    sev = _severity_range(0.0, 1.5, strength)
    return [
        A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.15, p=0.3),
        _stage(VIEWPOINT, p=0.5, severity=sev),
        _stage((*SURFACE, *LIGHT), p=0.2, severity=sev),
        _stage(DISTANCE, p=0.2, severity=sev),
    ]


def _default(strength: float) -> list[A.BasicTransform | A.BaseCompose]:
    sev = _severity_range(0.5, 3.0, strength)
    return [
        _stage(SURFACE, p=0.3, severity=sev),
        _stage(LIGHT, p=0.3, severity=sev),
        A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.15, p=0.3),
        _stage(VIEWPOINT, p=0.6, severity=sev),
        _stage(WEATHER, p=0.25, severity=sev),
        _stage(OCCLUDER, p=0.1, severity=sev),
        _stage(DISTANCE, p=0.3, severity=sev),
    ]


def _heavy(strength: float) -> list[A.BasicTransform | A.BaseCompose]:
    sev = _severity_range(1.0, 5.0, strength)
    return [
        _stage(SURFACE, p=0.5, severity=sev),
        _stage(LIGHT, p=0.5, severity=sev),
        A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.25, p=0.5),
        _stage(VIEWPOINT, p=0.8, severity=sev),
        _stage(WEATHER, p=0.5, severity=sev),
        _stage(OCCLUDER, p=0.25, severity=sev),
        _stage(DISTANCE, p=0.5, severity=sev),
    ]


def _severity_range(low: float, high: float, strength: float) -> tuple[float, float]:
    if strength < 0:
        raise ValueError(f"strength must be >= 0, got {strength}")
    return min(low * strength, MAX_SEVERITY), min(high * strength, MAX_SEVERITY)


PRESETS: dict[str, Callable[[float], list[A.BasicTransform | A.BaseCompose]]] = {
    "none": _none,
    "light": _light,
    "default": _default,
    "heavy": _heavy,
}
"""Train preset builders by name: ``builder(strength) -> transforms`` (before the resize)."""


def train_preset(
    *, preset: str = "default", image_size: int, hflip: bool = False, strength: float = 1.0
) -> Preset:
    """The train-time augmentation named ``preset``, ending at ``image_size`` square.

    ``strength`` scales the preset's severity range (1 = as tabulated, 0 = no corruption).
    ``hflip`` mirrors half the images; off by default because a mirrored STOP is no stop sign.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown augment preset {preset!r}; known: {sorted(PRESETS)}")
    transforms = PRESETS[preset](strength)
    if hflip:
        transforms.append(A.HorizontalFlip(p=0.5))
    return Preset([*transforms, SquareResize(image_size)], name=preset)


def eval_preset(*, image_size: int) -> Preset:
    """Resize only; evaluate and predict use this preset too."""
    return Preset([SquareResize(image_size)], name="eval")
