"""Models: built from config with ``instantiate(cfg.model, num_classes=...)``."""

from crowdsign.models.compact import CompactResNet, TinyCNN
from crowdsign.models.torchvision_models import resnet18_small

__all__ = ["CompactResNet", "TinyCNN", "resnet18_small"]
