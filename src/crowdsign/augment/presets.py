"""Train and eval presets: seeded callables on HWC uint8 images, built on albumentations.

A train preset is a sequence of *stages*, in the order light reaches the camera: the sign's
surface (fading, dirt), the light on it, the viewpoint, the weather in between, occluders, then
distance and optics. Each stage applies, with its probability, one corruption family drawn
uniformly from the stage, at a severity drawn uniformly from the stage's range (scaled by
``strength``).

Two kinds of stage get different ranges. *Appearance* families (colour, light, weather, pose)
leave the legend legible and go up to severity 3 in ``default``. *Detail* families (occluders,
zoom-out, downscale, blur, JPEG) can erase the legend, which is what tells a stop sign from a
blank red octagon, turning the label into noise; they stay at severity ≤ 1.5 in ``default``.
The benchmark's severities 4–5 lie beyond the ``default`` ranges on purpose: robustness is
measured partly out of range.

Expected cost per image stays low because every family costs tens of microseconds and no stage
applies to more than half of the images (``benchmarks/augment.py`` measures it).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import albumentations as A
import cv2
import numpy as np

from crowdsign.augment.contrast import ContrastNormalize
from crowdsign.augment.corruptions import GROUPS, check_image
from crowdsign.augment.family import MAX_SEVERITY
from crowdsign.augment.transforms import FamilyTransform, SquareResize

SURFACE = GROUPS["fading"]
LIGHT = ("shadow", *GROUPS["light"])
POSE = ("perspective", "rotation", "shear")
WEATHER = ("fog", "rain", "snow", "glare")
OCCLUDERS = GROUPS["occlusion"]
DISTANCE = ("scale", *GROUPS["distance"])  # zoom-out, downscale, blur, JPEG


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
    look, detail = _severity_range(0.0, 1.5, strength), _severity_range(0.0, 1.0, strength)
    return [
        _stage((*SURFACE, *LIGHT), p=0.2, severity=look),
        A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.15, p=0.3),
        _stage(POSE, p=0.4, severity=look),
        _stage(DISTANCE, p=0.15, severity=detail),
    ]


def _default(strength: float) -> list[A.BasicTransform | A.BaseCompose]:
    look, detail = _severity_range(0.5, 3.0, strength), _severity_range(0.3, 1.5, strength)
    return [
        _stage(SURFACE, p=0.2, severity=look),
        _stage(LIGHT, p=0.25, severity=look),
        A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.15, p=0.2),
        _stage(POSE, p=0.4, severity=look),
        _stage(WEATHER, p=0.2, severity=look),
        _stage(OCCLUDERS, p=0.1, severity=detail),
        _stage(DISTANCE, p=0.25, severity=detail),
    ]


def _heavy(strength: float) -> list[A.BasicTransform | A.BaseCompose]:
    look, detail = _severity_range(1.0, 5.0, strength), _severity_range(0.5, 3.0, strength)
    return [
        _stage(SURFACE, p=0.4, severity=look),
        _stage(LIGHT, p=0.4, severity=look),
        A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.25, p=0.4),
        _stage(POSE, p=0.6, severity=look),
        _stage(WEATHER, p=0.4, severity=look),
        _stage(OCCLUDERS, p=0.25, severity=detail),
        _stage(DISTANCE, p=0.4, severity=detail),
    ]


def _scene(strength: float) -> list[A.BasicTransform | A.BaseCompose]:
    """Whole-scene photographs: random crops (up to half of each side), light colour jitter.

    Label-safe for scene classes (a crop of a coast is still a coast); add ``hflip=true``.
    """
    crop = min(0.25 * strength, 0.45)
    return [
        A.RandomCropFromBorders(
            crop_left=crop, crop_right=crop, crop_top=crop, crop_bottom=crop, p=0.9
        ),
        A.ColorJitter(
            brightness=0.2 * strength,
            contrast=0.2 * strength,
            saturation=0.2 * strength,
            hue=0.02 * strength,
            p=0.5,
        ),
    ]


def _signs(strength: float) -> list[A.BasicTransform | A.BaseCompose]:
    """What traffic-sign recognisers train with (Sermanet & LeCun 2011, Cireşan et al. 2012):
    small rotations, scales, translations and shears of the crop, photometric jitter, a little
    blur; never a mirror. ``strength`` scales the geometry and the jitter."""
    s = max(strength, 0.0)
    return [
        A.Affine(
            rotate=(-12 * s, 12 * s),
            scale=(1 - 0.12 * s, 1 + 0.12 * s),
            translate_percent=(-0.08 * s, 0.08 * s),
            shear=(-6 * s, 6 * s),
            border_mode=cv2.BORDER_REPLICATE,
            p=0.85,
        ),
        A.RandomBrightnessContrast(brightness_limit=0.3 * s, contrast_limit=0.3 * s, p=0.6),
        A.HueSaturationValue(5 * s, 20 * s, 0, p=0.3),
        _stage(("defocus", "downscale", "motion_blur"), p=0.2, severity=_severity_range(0, 1, s)),
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
    "scene": _scene,
    "signs": _signs,
}
"""Train preset builders by name: ``builder(strength) -> transforms`` (before the resize)."""


def train_preset(
    *,
    preset: str = "default",
    image_size: int,
    hflip: bool = False,
    strength: float = 1.0,
    contrast: str = "none",
) -> Preset:
    """The train-time augmentation named ``preset``, ending at ``image_size`` square and the
    ``contrast`` normalisation (:mod:`crowdsign.augment.contrast`), as the eval preset does.

    ``strength`` scales the severity ranges of the corruption families (1 = as tabulated,
    0 = families off; the mild brightness/contrast jitter stays).
    ``hflip`` mirrors half the images; off by default because a mirrored STOP is no stop sign.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown augment preset {preset!r}; known: {sorted(PRESETS)}")
    transforms = PRESETS[preset](strength)
    if hflip:
        transforms.append(A.HorizontalFlip(p=0.5))
    return Preset([*transforms, *_input_steps(image_size, contrast)], name=preset)


def eval_preset(*, image_size: int, contrast: str = "none") -> Preset:
    """Resize to ``image_size`` square, then ``contrast`` normalisation: the one path from a
    decoded file to the model's input that evaluate, predict, export and robustness share."""
    return Preset(_input_steps(image_size, contrast), name="eval")


def eval_preset_for(config: Mapping[str, Any]) -> Preset:
    """The eval preset of a resolved training config (a checkpoint's ``config``): its
    ``data.image_size`` and ``augment.contrast`` (``none`` for configs from before it)."""
    augment = config.get("augment") or {}
    return eval_preset(
        image_size=int(config["data"]["image_size"]),
        contrast=str(augment.get("contrast", "none")),
    )


def _input_steps(image_size: int, contrast: str) -> list[A.BasicTransform]:
    steps: list[A.BasicTransform] = [SquareResize(image_size)]
    if contrast != "none":
        steps.append(ContrastNormalize(contrast))
    return steps
