"""One epoch of training: a plain function, readable top to bottom."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn
from tqdm import tqdm

from crowdsign.models.inputs import to_model_input
from crowdsign.runtime.device import Precision
from crowdsign.training.losses import crowd_loss


def loss_fn(
    logits: torch.Tensor,
    target: torch.Tensor,
    label_smoothing: float,
    class_weights: torch.Tensor | None = None,
    gce_q: float = 0.0,
) -> torch.Tensor:
    """Loss against class indices ``(B,)`` or class probabilities ``(B, C)``: cross-entropy, or
    generalized cross-entropy for ``gce_q > 0``, one normalisation for all
    (:func:`crowdsign.training.losses.crowd_loss`)."""
    return crowd_loss(logits, target, label_smoothing, class_weights, gce_q)


@dataclass(frozen=True)
class StepLoss:
    """What each optimizer step minimises, and its gradient clip.

    Attributes:
        label_smoothing, class_weights, gce_q: the arguments of :func:`loss_fn`.
        grad_clip: max gradient norm (0: no clipping).
        criterion: replaces :func:`loss_fn` when given: ``criterion(logits, target)`` (a crowd
            loss whose targets are image positions; its ``hard_targets(target)`` feed the
            agreement statistic).
        mixup_alpha: > 0 trains on mixup batches (:func:`mixup_loss`); 0 on the batch as is.
    """

    label_smoothing: float = 0.0
    class_weights: torch.Tensor | None = None
    gce_q: float = 0.0
    grad_clip: float = 0.0
    criterion: nn.Module | None = None
    mixup_alpha: float = 0.0

    def __call__(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.criterion is not None:
            return self.criterion(logits, target)
        return loss_fn(logits, target, self.label_smoothing, self.class_weights, self.gce_q)

    def hard_targets(self, target: torch.Tensor) -> torch.Tensor:
        """``(B,)`` class per target, for the agreement statistic."""
        if self.criterion is not None:
            return self.criterion.hard_targets(target)
        return target if target.ndim == 1 else target.argmax(1)


def mixup_loss(model, x: torch.Tensor, target: torch.Tensor, loss: StepLoss, precision: Precision):
    """Mixup (Zhang et al., ICLR 2018): train on ``lam * x + (1 - lam) * x[perm]`` against
    ``lam * loss(target) + (1 - lam) * loss(target[perm])``, ``lam ~ Beta(alpha, alpha)`` folded
    to ``>= 0.5`` so each row stays its own image's. Interpolating inputs and targets keeps a
    network from fitting each (noisy) label exactly, which is what makes it resist label noise.

    A stateful crowd loss (its per-image beliefs, posteriors, warm-up count) is updated by the
    batch's own images only: the partner term is scored with the criterion in eval mode.
    Returns ``(loss value, logits)``. Draws from torch's generator (seeded, checkpointed).
    """
    alpha = loss.mixup_alpha
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    lam = max(lam, 1.0 - lam)
    perm = torch.randperm(len(x)).to(x.device)
    with precision.autocast():
        logits = model(lam * x + (1.0 - lam) * x[perm])
    own = loss(logits, target)
    criterion = loss.criterion
    was_training = criterion is not None and criterion.training
    if criterion is not None:
        criterion.eval()
    try:
        partner = loss(logits, target[perm])
    finally:
        if criterion is not None:
            criterion.train(was_training)
    return lam * own + (1.0 - lam) * partner, logits


def _step(model, images, target, optimizer, scheduler, precision: Precision, loss: StepLoss):
    """One optimizer step on a batch: ``(loss, logits, target on the device)``."""
    x = to_model_input(images, device=precision.device, channels_last=precision.channels_last)
    target = target.to(precision.device, non_blocking=True)
    if loss.mixup_alpha > 0:
        value, logits = mixup_loss(model, x, target, loss, precision)
    else:
        with precision.autocast():
            logits = model(x)
        value = loss(logits, target)
    optimizer.zero_grad(set_to_none=True)
    value.backward()
    if loss.grad_clip > 0:
        nn.utils.clip_grad_norm_(model.parameters(), loss.grad_clip)
    optimizer.step()
    scheduler.step()
    return value, logits, target


def train_one_epoch(
    model: nn.Module,
    loader: Iterable,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    *,
    precision: Precision,
    loss: StepLoss = StepLoss(),
    max_steps: int | None = None,
    on_step=None,
    progress: bool = False,
    desc: str = "train",
) -> dict[str, float]:
    """Train for one pass over ``loader`` (or ``max_steps`` steps), minimising ``loss``.

    ``on_step(step_in_epoch, loss, images_uint8)`` is called after each optimizer step.
    Returns mean loss, agreement of predictions with the (crowd) targets, steps and images/s.
    """
    model.train()
    total_loss = torch.zeros((), device=precision.device)
    agree = torch.zeros((), device=precision.device)
    seen, steps = 0, 0
    start = time.perf_counter()
    # disable=None: a bar only when stderr is a terminal, so a log file gets no redraws
    bar = tqdm(
        loader, desc=desc, leave=False, disable=None if progress else True, dynamic_ncols=True
    )
    for images, target in bar:
        if max_steps is not None and steps >= max_steps:
            break
        value, logits, target = _step(model, images, target, optimizer, scheduler, precision, loss)
        n = len(target)
        total_loss += value.detach() * n
        agree += (logits.detach().argmax(1) == loss.hard_targets(target)).sum()
        seen += n
        steps += 1
        if on_step is not None:
            on_step(steps, value.detach(), images)
        if not bar.disable and steps % 10 == 0:
            rate = seen / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{value.item():.3f}", img_s=f"{rate:.0f}")
    elapsed = time.perf_counter() - start
    return {
        "loss": (total_loss / max(seen, 1)).item(),
        "target_agreement": (agree / max(seen, 1)).item(),
        "steps": float(steps),
        "images_per_s": seen / max(elapsed, 1e-9),
    }
