"""Config schema of the ``augment`` group."""

from __future__ import annotations

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore


# --- augment ----------------------------------------------------------------------------------
@dataclass
class AugmentConfig:
    """Train preset by name (see ``crowdsign.augment.PRESETS``); eval is always resize only."""

    preset: str = "default"
    hflip: bool = False  # off by default: a mirrored STOP is not a stop sign


def register(cs: ConfigStore) -> None:
    cs.store(group="augment", name="base_augment", node=AugmentConfig)
