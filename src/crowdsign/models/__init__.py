"""Models: built from config with ``instantiate(cfg.model, num_classes=...)``."""

from crowdsign.models.compact import CompactResNet, TinyCNN
from crowdsign.models.torchvision_models import (
    WeightsError,
    resnet18_small,
    torchvision_classifier,
)

__all__ = ["CompactResNet", "TinyCNN", "WeightsError", "resnet18_small", "torchvision_classifier"]
