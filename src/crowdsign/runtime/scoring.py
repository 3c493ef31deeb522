"""Batched prediction and scoring of a model on an ImageSet: the primitives training (model
selection, calibration, the test score) and evaluation share."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from crowdsign.augment import Preset
from crowdsign.data.imageset import ImageSet
from crowdsign.models.inputs import hwc_to_chw, to_model_input
from crowdsign.runtime.device import Precision
from crowdsign.runtime.metrics import classification_metrics


@torch.no_grad()
def predict_proba(
    model: nn.Module,
    images: np.ndarray,
    *,
    precision: Precision,
    batch_size: int,
    transform: Preset | None = None,
    limit_batches: int = 0,
) -> torch.Tensor:
    """``(N, C)`` float32 class probabilities for ``(N, H, W, 3)`` uint8 images, on the CPU.

    ``transform`` (the eval preset) is applied per image only when given; cached images that
    already have the model's size need none.
    """
    model.eval()
    out = []
    for b, start in enumerate(range(0, len(images), batch_size)):
        if limit_batches and b >= limit_batches:
            break
        chunk = np.asarray(images[start : start + batch_size])
        if transform is not None:
            chunk = np.stack([transform(im) for im in chunk])
        x = to_model_input(
            hwc_to_chw(chunk), device=precision.device, channels_last=precision.channels_last
        )
        with precision.autocast():
            logits = model(x)
        out.append(logits.float().softmax(1).cpu())
    return torch.cat(out) if out else torch.empty(0, 0)


def evaluate_split(
    model: nn.Module,
    images: ImageSet,
    *,
    precision: Precision,
    batch_size: int,
    limit_batches: int = 0,
    preset: Preset,
    labels: np.ndarray | None = None,
) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    """Metrics of ``model`` on ``images`` scored against truth: (metrics, confusion, probs).

    Every image goes through ``preset``, the checkpoint's eval preset (resize to its side,
    then its contrast normalisation), as predict and export feed it. ``labels`` (``(N,)`` int)
    scores against other labels instead (model selection on the crowd's validation targets,
    :mod:`crowdsign.training.selection`).
    """
    if labels is None and images.truth is None:
        raise ValueError("evaluation needs a split with truth labels")
    probs = predict_proba(
        model,
        images.images,
        precision=precision,
        batch_size=batch_size,
        transform=preset,
        limit_batches=limit_batches,
    )
    reference = images.truth if labels is None else np.asarray(labels, dtype=np.int64)
    truth = torch.from_numpy(reference[: len(probs)])
    metrics, confusion = classification_metrics(probs, truth, images.class_names)
    return metrics, confusion, probs
