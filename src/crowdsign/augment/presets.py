"""Train and eval presets: seeded callables on HWC uint8 images, built on albumentations."""

from __future__ import annotations

from collections.abc import Callable

import albumentations as A
import cv2
import numpy as np


class Preset:
    """An albumentations pipeline called as ``preset(image, seed=s)``.

    Each call reseeds the pipeline from ``seed`` so the output depends only on (image, seed):
    the same on any number of loader workers, and the same after a resume.
    """

    def __init__(self, transforms: list, *, name: str) -> None:
        self.name = name
        self.compose = A.Compose(transforms, seed=0)

    def __call__(self, image: np.ndarray, *, seed: int = 0) -> np.ndarray:
        self.compose.set_random_seed(seed)
        return self.compose(image=image)["image"]

    def __repr__(self) -> str:
        return f"Preset({self.name!r})"


def _resize(image_size: int) -> A.BasicTransform:
    return A.Resize(image_size, image_size, interpolation=cv2.INTER_AREA)


def _light(image_size: int) -> list:
    return [
        A.Affine(rotate=(-8, 8), scale=(0.9, 1.1), translate_percent=(-0.06, 0.06), p=0.5),
        A.RandomBrightnessContrast(brightness_limit=0.2, contrast_limit=0.2, p=0.5),
    ]


def _default(image_size: int) -> list:
    return [
        A.Affine(rotate=(-12, 12), scale=(0.85, 1.15), translate_percent=(-0.08, 0.08), p=0.6),
        A.Perspective(scale=(0.02, 0.08), p=0.3),
        A.HueSaturationValue(
            hue_shift_limit=6, sat_shift_limit=(-50, 10), val_shift_limit=15, p=0.5
        ),
        A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.25, p=0.5),
        A.GaussianBlur(blur_limit=(3, 3), p=0.15),
    ]


PRESETS: dict[str, Callable[[int], list]] = {
    "none": lambda image_size: [],
    "light": _light,
    "default": _default,
}


def train_preset(*, preset: str = "default", image_size: int, hflip: bool = False) -> Preset:
    """The train-time augmentation named ``preset``, ending at ``image_size`` square."""
    if preset not in PRESETS:
        raise ValueError(f"unknown augment preset {preset!r}; known: {sorted(PRESETS)}")
    transforms = PRESETS[preset](image_size)
    if hflip:
        transforms.append(A.HorizontalFlip(p=0.5))
    return Preset([*transforms, _resize(image_size)], name=preset)


def eval_preset(*, image_size: int) -> Preset:
    """Resize only; evaluate and predict use this preset too."""
    return Preset([_resize(image_size)], name="eval")
