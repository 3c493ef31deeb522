"""Learning-rate schedules, stepped once per optimizer step."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


class WarmupCosine:
    """Linear warm-up from ~0 to 1, then cosine decay to ``min_lr_ratio`` (a picklable lambda)."""

    def __init__(self, total_steps: int, warmup_steps: int, min_lr_ratio: float) -> None:
        self.total_steps = max(1, total_steps)
        self.warmup_steps = warmup_steps
        self.min_lr_ratio = min_lr_ratio

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        return self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (
            1 + math.cos(math.pi * progress)
        )


def warmup_cosine(
    optimizer: Optimizer,
    *,
    total_steps: int,
    warmup_fraction: float = 0.05,
    min_lr_ratio: float = 0.0,
) -> LambdaLR:
    """Cosine schedule over ``total_steps`` with a linear warm-up of ``warmup_fraction``."""
    warmup = int(round(warmup_fraction * total_steps))
    return LambdaLR(optimizer, WarmupCosine(total_steps, warmup, min_lr_ratio))
