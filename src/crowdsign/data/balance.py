"""Class-imbalance helpers (stop is ~2.5% of GTSRB): loss weights and sampler weights.

Wire-up: ``trainer.balance=weights`` passes ``torch.as_tensor(class_weights(y, C))`` to the
loss's ``weight``; ``trainer.balance=sampler`` gives ``balanced_sampler_weights(y)`` to
``torch.utils.data.WeightedRandomSampler(weights, num_samples=len(y), replacement=True,
generator=g)``. Pass the training targets actually used (crowd labels or truth).
"""

from __future__ import annotations

import numpy as np


def class_counts(truth: np.ndarray, num_classes: int) -> np.ndarray:
    """``(C,)`` int64 images per class; raises if a label is outside ``[0, num_classes)``."""
    truth = np.asarray(truth, dtype=np.int64)
    if len(truth) and (truth.min() < 0 or truth.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}); got {truth.min()}..{truth.max()}")
    return np.bincount(truth, minlength=num_classes)


def class_weights(truth: np.ndarray, num_classes: int) -> np.ndarray:
    """Inverse-frequency loss weights ``N / (C_present * count_c)`` (scikit-learn's "balanced").

    Args:
        truth: ``(N,)`` int class per training image.
        num_classes: ``C``.

    Returns:
        ``(C,)`` float32; the weighted mean over the training images is 1, so the loss scale and
        learning rate keep their meaning. Classes absent from ``truth`` get weight 0.
    """
    counts = class_counts(truth, num_classes)
    present = counts > 0
    weights = np.zeros(num_classes, dtype=np.float64)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights.astype(np.float32)


def balanced_sampler_weights(truth: np.ndarray) -> np.ndarray:
    """Per-image sampling weights that give every present class the same total mass.

    Args:
        truth: ``(N,)`` int class per training image.

    Returns:
        ``(N,)`` float64 summing to 1: image ``i`` has weight ``1 / (C_present * count[y_i])``.
    """
    truth = np.asarray(truth, dtype=np.int64)
    if not len(truth):
        return np.zeros(0)
    counts = class_counts(truth, int(truth.max()) + 1)
    return 1.0 / (np.count_nonzero(counts) * counts[truth].astype(np.float64))
