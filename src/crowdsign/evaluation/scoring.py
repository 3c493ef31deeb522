"""Score a model on an ImageSet against truth."""

from __future__ import annotations

import torch
from torch import nn

from crowdsign.augment import Preset
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
    preset: Preset,
) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    """Metrics of ``model`` on ``images`` scored against truth: (metrics, confusion, probs).

    Every image goes through ``preset``, the checkpoint's eval preset (resize to its side,
    then its contrast normalisation), as predict and export feed it.
    """
    if images.truth is None:
        raise ValueError("evaluation needs a split with truth labels")
    probs = predict_proba(
        model,
        images.images,
        precision=precision,
        batch_size=batch_size,
        transform=preset,
        limit_batches=limit_batches,
    )
    truth = torch.from_numpy(images.truth[: len(probs)])
    metrics, confusion = classification_metrics(probs, truth, images.class_names)
    return metrics, confusion, probs
