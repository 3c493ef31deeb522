"""Score a model on an ImageSet against truth."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from crowdsign.augment import eval_preset
from crowdsign.data.imageset import ImageSet
from crowdsign.evaluation.metrics import classification_metrics
from crowdsign.training.loop import Precision, predict_proba


def evaluate_split(
    model: nn.Module,
    images: ImageSet,
    *,
    precision: Precision,
    batch_size: int,
    limit_batches: int = 0,
    image_size: int,
    labels: np.ndarray | None = None,
) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    """Metrics of ``model`` on ``images`` scored against truth: (metrics, confusion, probs).

    ``labels`` (``(N,)`` int) scores against other labels instead (model selection on the
    crowd's validation targets, :mod:`crowdsign.training.selection`).
    """
    if labels is None and images.truth is None:
        raise ValueError("evaluation needs a split with truth labels")
    transform = None if images.image_size == image_size else eval_preset(image_size=image_size)
    probs = predict_proba(
        model,
        images.images,
        precision=precision,
        batch_size=batch_size,
        transform=transform,
        limit_batches=limit_batches,
    )
    reference = images.truth if labels is None else np.asarray(labels, dtype=np.int64)
    truth = torch.from_numpy(reference[: len(probs)])
    metrics, confusion = classification_metrics(probs, truth, images.class_names)
    return metrics, confusion, probs
