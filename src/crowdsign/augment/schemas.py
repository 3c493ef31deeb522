"""Config schema of the ``augment`` group."""

from __future__ import annotations

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore


# --- augment ----------------------------------------------------------------------------------
@dataclass
class AugmentConfig:
    """Train preset by name (see ``crowdsign.augment.PRESETS``); eval is resize + ``contrast``.

    Pass all fields to ``crowdsign.augment.train_preset(**cfg.augment, image_size=...)``.
    """

    preset: str = "default"  # none | light | default | heavy
    hflip: bool = False  # off by default: a mirrored STOP is not a stop sign
    strength: float = 1.0  # scales the preset's severity range; 0 disables the corruptions
    contrast: str = "none"  # none | clahe | stretch: per-image, at train AND eval (eval preset)


def register(cs: ConfigStore) -> None:
    cs.store(group="augment", name="base_augment", node=AugmentConfig)
