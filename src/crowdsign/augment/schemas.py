"""Config schema of the ``augment`` group."""

from __future__ import annotations

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore

from crowdsign.augment.contrast import CONTRAST
from crowdsign.augment.presets import PRESETS
from crowdsign.checks import checked


# --- augment ----------------------------------------------------------------------------------
@dataclass
class AugmentConfig:
    """Train preset by name (see ``crowdsign.augment.PRESETS``); eval is resize + ``contrast``.

    Pass all fields to ``crowdsign.augment.train_preset(**cfg.augment, image_size=...)``.
    """

    preset: str = checked("default", choices=tuple(PRESETS))  # none | light | default | heavy
    hflip: bool = False  # off by default: a mirrored STOP is not a stop sign
    strength: float = checked(
        1.0, ge=0
    )  # scales the preset's severity range; 0 disables the corruptions
    # none | clahe | stretch: per-image contrast normalisation, at train AND eval (eval preset)
    contrast: str = checked("none", choices=CONTRAST)


def register(cs: ConfigStore) -> None:
    cs.store(group="augment", name="base_augment", node=AugmentConfig)
