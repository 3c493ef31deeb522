"""One loss for hard, soft and GCE targets, with one normalisation under class weights.

Every target becomes a distribution ``q`` over classes (a class index is one-hot; label
smoothing mixes in the uniform distribution). With per-class loss ``l[i, c]`` (cross-entropy
``-log p[i, c]``, or generalized cross-entropy ``(1 - p[i, c]**q) / q``) and class weights
``w`` (ones when not given), the batch loss is

    sum_i sum_c w[c] q[i, c] l[i, c]  /  sum_i sum_c w[c] q[i, c]

so each image counts by the weight of its target: for one-hot targets this is PyTorch's
weighted cross-entropy (normalised by the sum of the targets' weights), and a one-hot soft
target, a hard target and GCE targets share the same scale whatever the weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def target_distribution(
    target: torch.Tensor, num_classes: int, label_smoothing: float = 0.0
) -> torch.Tensor:
    """``(B, C)`` float target distribution from class indices ``(B,)`` or probabilities."""
    q = F.one_hot(target, num_classes).float() if target.ndim == 1 else target.float()
    if label_smoothing > 0:
        q = q * (1 - label_smoothing) + label_smoothing / num_classes
    return q


def crowd_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    label_smoothing: float = 0.0,
    class_weights: torch.Tensor | None = None,
    gce_q: float = 0.0,
) -> torch.Tensor:
    """Scalar loss of ``(B, C)`` logits against ``(B,)`` class indices or ``(B, C)`` targets.

    ``gce_q == 0``: cross-entropy. ``0 < gce_q <= 1``: generalized cross-entropy
    ``(1 - p_y^q) / q`` (Zhang & Sabuncu, 2018), which bounds the pull of a wrong label and so
    resists label noise; q → 0 recovers cross-entropy, q = 1 is MAE.
    """
    logits = logits.float()
    c = logits.shape[1]
    q = target_distribution(target, c, label_smoothing)
    if gce_q > 0:
        per_class = (1 - logits.softmax(1).clamp_min(1e-12).pow(gce_q)) / gce_q
    else:
        per_class = -logits.log_softmax(1)
    weight = q if class_weights is None else q * class_weights.float()[None, :]
    return (weight * per_class).sum() / weight.sum().clamp_min(1e-12)
