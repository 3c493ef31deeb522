"""Mixup in the training step: the mixed loss, and crowd-loss state touched by own images only."""

from __future__ import annotations

import torch
from torch import nn

from crowdsign.runtime.device import Precision
from crowdsign.training.loop import StepLoss, mixup_loss, train_one_epoch

CPU = Precision(device=torch.device("cpu"), autocast_dtype=None, channels_last=False)


class RecordingCriterion(nn.Module):
    """Cross-entropy on class-index targets that records which targets it saw in train mode."""

    def __init__(self) -> None:
        super().__init__()
        self.updated: list[torch.Tensor] = []

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.updated.append(target.clone())
        return nn.functional.cross_entropy(logits, target)

    def hard_targets(self, target: torch.Tensor) -> torch.Tensor:
        return target


def _batch(n: int = 8, c: int = 3):
    gen = torch.Generator().manual_seed(0)
    return torch.randn(n, 4, generator=gen), torch.randint(0, c, (n,), generator=gen)


def test_mixup_loss_is_the_lam_weighted_sum_over_the_mixed_inputs():
    model = nn.Linear(4, 3)
    x, y = _batch()
    torch.manual_seed(5)
    value, logits = mixup_loss(model, x, y, StepLoss(mixup_alpha=0.4), CPU)
    torch.manual_seed(5)  # replay the same draws
    lam = float(torch.distributions.Beta(0.4, 0.4).sample())
    lam = max(lam, 1 - lam)
    perm = torch.randperm(len(x))
    expect_logits = model(lam * x + (1 - lam) * x[perm])
    ce = nn.functional.cross_entropy
    expect = lam * ce(expect_logits, y) + (1 - lam) * ce(expect_logits, y[perm])
    assert lam >= 0.5
    torch.testing.assert_close(logits, expect_logits)
    torch.testing.assert_close(value, expect)
    assert not torch.allclose(value, ce(model(x), y))  # it did mix


def test_a_stateful_crowd_loss_is_updated_by_the_batchs_own_images_only():
    model = nn.Linear(4, 3)
    x, y = _batch()
    criterion = RecordingCriterion()
    torch.manual_seed(1)
    mixup_loss(model, x, y, StepLoss(criterion=criterion, mixup_alpha=1.0), CPU)
    assert len(criterion.updated) == 1 and torch.equal(criterion.updated[0], y)
    assert criterion.training  # back in train mode for the next step


def test_training_with_mixup_learns_a_separable_task():
    gen = torch.Generator().manual_seed(0)
    centers = torch.tensor([[40.0, 40.0, 40.0], [210.0, 210.0, 210.0]])
    y = torch.randint(0, 2, (64,), generator=gen)
    pixels = centers[y][:, :, None, None] + 10 * torch.randn(64, 3, 2, 2, generator=gen)
    images = pixels.clamp(0, 255).to(torch.uint8)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    loader = [(images[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
    torch.manual_seed(0)
    for _ in range(10):
        stats = train_one_epoch(
            model, loader, optimizer, scheduler, precision=CPU, loss=StepLoss(mixup_alpha=0.2)
        )
    assert stats["target_agreement"] == 1.0
