"""torchvision models adapted to small inputs (no pretrained weights: nothing is downloaded)."""

from __future__ import annotations

from torch import nn
from torchvision.models import resnet18


def resnet18_small(*, num_classes: int) -> nn.Module:
    """torchvision ``resnet18`` with a 3×3 stride-1 stem and no max-pool, for 32–64 px inputs."""
    model = resnet18(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()
    return model
