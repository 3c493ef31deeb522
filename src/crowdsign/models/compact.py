"""Small CNNs sized for 32–64 px inputs on a CPU: a compact residual net and a tiny smoke CNN."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def conv_bn(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """Two 3×3 conv-BN layers with an identity (or 1×1 projection) shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = conv_bn(c_in, c_out, stride)
        self.conv2 = nn.Sequential(
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out)
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv2(self.conv1(x)) + self.shortcut(x))


class CompactResNet(nn.Module):
    """A strided stem, one residual block per stage (each halving resolution), global pooling.

    Input ``(B, 3, H, W)`` float, any ``H, W`` ≥ 8; output ``(B, num_classes)`` logits.
    """

    def __init__(
        self,
        *,
        num_classes: int,
        widths: Sequence[int] = (32, 64, 128),
        stem_stride: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.stem = conv_bn(3, widths[0], stem_stride)
        stages = []
        c = widths[0]
        for i, w in enumerate(widths):
            stages.append(ResidualBlock(c, w, stride=1 if i == 0 else 2))
            c = w
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(c, num_classes)
        )
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


class TinyCNN(nn.Module):
    """Two conv layers and a linear head: for smoke tests, trains in seconds on a CPU."""

    def __init__(self, *, num_classes: int, width: int = 8) -> None:
        super().__init__()
        self.net = nn.Sequential(
            conv_bn(3, width, 2),
            conv_bn(width, 2 * width, 2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(2 * width, num_classes),
        )
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def init_weights(model: nn.Module) -> None:
    """Kaiming-normal convs, unit BN, and zero-init of each block's last BN (stabler start)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
    for m in model.modules():
        if isinstance(m, ResidualBlock):
            nn.init.zeros_(m.conv2[1].weight)
