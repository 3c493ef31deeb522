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
class TorchvisionConfig:
    """Any torchvision classifier (``arch``), optionally from pretrained ``weights``."""

    _target_: str = "crowdsign.models.torchvision_classifier"
    arch: str = "resnet18"
    # a state-dict file, or a torchvision weights name (DEFAULT, IMAGENET1K_V1: downloads);
    # null = random init. The head is replaced for the data's classes.
    weights: str | None = None
    small_input: bool = True  # ResNets: 3x3 stride-1 stem, no max-pool (false for ImageNet weights)


def register(cs: ConfigStore) -> None:
    cs.store(group="model", name="base_compact_resnet", node=CompactResNetConfig)
    cs.store(group="model", name="base_tiny_cnn", node=TinyCNNConfig)
    cs.store(group="model", name="base_torchvision", node=TorchvisionConfig)
