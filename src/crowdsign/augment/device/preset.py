"""The train presets on the device: batched, with per-image stage draws, families and severities.

``device_train_preset(preset="default", image_size=64)`` reads the NumPy preset of that name
(``crowdsign.augment.presets.PRESETS``: its stages, probabilities, severity ranges and
brightness/contrast jitter), so the two paths cannot drift apart, and runs it on a batch:

    out = preset(images_uint8_nchw, generator)   # (B, 3, H, W) uint8 in, same device out

For every stage each image draws, from ``generator``, whether the stage applies (its ``p``),
which of the stage's families (uniformly) and a severity (uniform in the range); each family then
runs once, batched, on the images that drew it. Families without a device version (``stickers``)
are left out of their stage's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import albumentations as A
import torch
import torch.nn.functional as F

import crowdsign.augment.device.geometry  # noqa: F401 - registers the families
import crowdsign.augment.device.occlusion  # noqa: F401
import crowdsign.augment.device.optics  # noqa: F401
import crowdsign.augment.device.weather  # noqa: F401
from crowdsign.augment.device.ops import DEVICE_FAMILIES, uniform
from crowdsign.augment.device.photometric import brightness_contrast
from crowdsign.augment.presets import PRESETS
from crowdsign.augment.transforms import FamilyTransform
from crowdsign.errors import ConfigError


@dataclass(frozen=True)
class Stage:
    """With probability ``p`` per image, one of ``families`` at a severity in ``severity``."""

    families: tuple[str, ...]
    p: float
    severity: tuple[float, float]


@dataclass(frozen=True)
class Jitter:
    """albumentations' ``RandomBrightnessContrast`` with probability ``p`` per image."""

    brightness: float
    contrast: float
    p: float


class DevicePreset:
    """A train preset on ``(B, 3, H, W)`` uint8 batches; see the module docstring."""

    def __init__(self, steps: list[Stage | Jitter], *, image_size: int, hflip: bool, name: str):
        self.steps, self.image_size, self.hflip, self.name = steps, image_size, hflip, name

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(
                f"expected (B, 3, H, W) uint8, got {images.dtype} {tuple(images.shape)}"
            )
        x = images.float()
        for step in self.steps:
            x = self._apply(step, x, generator)
        if self.hflip:
            flip = torch.rand(len(x), generator=generator, device=x.device) < 0.5
            x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
        if x.shape[-2:] != (self.image_size, self.image_size):
            size = (self.image_size, self.image_size)
            x = F.interpolate(x, size=size, mode="bilinear", antialias=True).round_().clamp_(0, 255)
        return x.to(torch.uint8)

    @staticmethod
    def _apply(step: Stage | Jitter, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        n = len(x)
        fires = torch.rand(n, generator=g, device=x.device) < step.p
        if isinstance(step, Jitter):
            jittered = brightness_contrast(x, g, brightness=step.brightness, contrast=step.contrast)
            return torch.where(fires.view(-1, 1, 1, 1), jittered, x)
        choice = (torch.rand(n, generator=g, device=x.device) * len(step.families)).long()
        severity = uniform(g, n, *step.severity, x)
        out = x.clone()
        for j, family in enumerate(step.families):
            pick = (fires & (choice == j)).nonzero()[:, 0]
            if len(pick):
                out[pick] = DEVICE_FAMILIES[family](x[pick], severity[pick], g)
        return out

    def __repr__(self) -> str:
        return f"DevicePreset({self.name!r})"


def device_steps(transforms: list) -> list[Stage | Jitter]:
    """The device steps of a NumPy preset's albumentations transforms."""
    steps: list[Stage | Jitter] = []
    for t in transforms:
        if isinstance(t, FamilyTransform):
            families = tuple(f for f in t.families if f in DEVICE_FAMILIES)
            if families:
                steps.append(Stage(families, float(t.p), t.severity))
        elif isinstance(t, A.RandomBrightnessContrast):
            steps.append(Jitter(max(t.brightness_limit), max(t.contrast_limit), float(t.p)))
        else:
            raise ConfigError(
                f"augment: {type(t).__name__} has no device version; "
                "use trainer.data_on_device=false for this preset"
            )
    return steps


def device_train_preset(
    *,
    preset: str = "default",
    image_size: int,
    hflip: bool = False,
    strength: float = 1.0,
    contrast: str = "none",
) -> DevicePreset:
    """The device twin of ``crowdsign.augment.train_preset`` (same arguments; a per-image
    ``contrast`` normalisation has no device version)."""
    if contrast != "none":
        raise ConfigError(
            f"augment.contrast={contrast} has no device version; use trainer.data_on_device=false"
        )
    if preset not in PRESETS:
        raise ConfigError(f"unknown augment preset {preset!r}; known: {sorted(PRESETS)}")
    steps = device_steps(PRESETS[preset](strength))
    return DevicePreset(steps, image_size=image_size, hflip=hflip, name=preset)
