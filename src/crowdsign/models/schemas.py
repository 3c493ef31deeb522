"""Config schemas of the ``model`` group; ``num_classes`` is filled in from the data."""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore


@dataclass
class CompactResNetConfig:
    _target_: str = "crowdsign.models.CompactResNet"
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])
    stem_stride: int = 2
    dropout: float = 0.0


@dataclass
class TinyCNNConfig:
    _target_: str = "crowdsign.models.TinyCNN"
    width: int = 8


@dataclass
class ResNet18Config:
    _target_: str = "crowdsign.models.resnet18_small"


def register(cs: ConfigStore) -> None:
    cs.store(group="model", name="base_compact_resnet", node=CompactResNetConfig)
    cs.store(group="model", name="base_tiny_cnn", node=TinyCNNConfig)
    cs.store(group="model", name="base_resnet18", node=ResNet18Config)
