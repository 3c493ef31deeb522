"""Classification metrics scored against truth (never against crowd labels)."""

from __future__ import annotations

import math

import torch
from torchmetrics.functional.classification import (
    binary_auroc,
    multiclass_accuracy,
    multiclass_auroc,
    multiclass_calibration_error,
    multiclass_confusion_matrix,
    multiclass_recall,
)


def stop_index(class_names: tuple[str, ...] | list[str]) -> int | None:
    """Index of the stop-sign class, or None when the task has none."""
    names = list(class_names)
    return names.index("stop") if "stop" in names else None


def classification_metrics(
    probs: torch.Tensor, truth: torch.Tensor, class_names: tuple[str, ...] | list[str]
) -> tuple[dict[str, float], torch.Tensor]:
    """Headline metrics and the confusion matrix.

    Args:
        probs: ``(N, C)`` class probabilities.
        truth: ``(N,)`` int64 true class.
    Returns:
        ``(metrics, confusion)`` where confusion is ``(C, C)`` int64, rows = truth.
        Metrics: accuracy, balanced_accuracy (mean per-class recall), ece (15-bin L1), and, when
        there is a stop class, stop_precision / stop_recall / stop_f1 / stop_auroc, and the
        95% Wilson intervals of precision and recall (``stop_precision_lo``/``_hi``,
        ``stop_recall_lo``/``_hi``).
    """
    probs, truth = probs.float().cpu(), truth.long().cpu()
    c = len(class_names)
    if probs.ndim != 2 or probs.shape[1] != c:
        raise ValueError(f"probs must be (N, {c}), got {tuple(probs.shape)}")
    pred = probs.argmax(1)
    out = {
        "accuracy": multiclass_accuracy(pred, truth, c, average="micro").item(),
        "balanced_accuracy": _balanced_accuracy(pred, truth, c),
        "ece": multiclass_calibration_error(probs, truth, c, n_bins=15, norm="l1").item(),
        "n": float(len(truth)),
    }
    if c > 2 and len(truth.unique()) == c:
        out["auroc_macro"] = multiclass_auroc(probs, truth, c, average="macro").item()
    s = stop_index(class_names)
    if s is not None:
        is_stop, said_stop = truth == s, pred == s
        tp = (is_stop & said_stop).sum().item()
        precision = tp / max(said_stop.sum().item(), 1)
        recall = tp / max(is_stop.sum().item(), 1)
        out["stop_precision"] = precision
        out["stop_recall"] = recall
        # 95% Wilson intervals: a test split holds a few hundred stop signs at most
        n_said, n_stop = said_stop.sum().item(), is_stop.sum().item()
        out["stop_precision_lo"], out["stop_precision_hi"] = wilson_interval(tp, n_said)
        out["stop_recall_lo"], out["stop_recall_hi"] = wilson_interval(tp, n_stop)
        out["stop_f1"] = 2 * precision * recall / max(precision + recall, 1e-12)
        if 0 < is_stop.sum() < len(truth):
            out["stop_auroc"] = binary_auroc(probs[:, s], is_stop.long()).item()
    confusion = multiclass_confusion_matrix(pred, truth, c)
    return out, confusion


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion ``successes / n`` (95% for the default ``z``);
    ``(nan, nan)`` when ``n == 0``."""
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _balanced_accuracy(pred: torch.Tensor, truth: torch.Tensor, c: int) -> float:
    """Mean recall over the classes present in ``truth`` (absent classes are not averaged in)."""
    recall = multiclass_recall(pred, truth, c, average="none")
    present = torch.bincount(truth, minlength=c) > 0
    return recall[present].mean().item()
