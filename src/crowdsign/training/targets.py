"""Crowd answers → training targets (hard labels and class posteriors), one per train image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crowdsign.crowd.aggregate import Aggregator
from crowdsign.crowd.answers import CodedAnswers, CrowdLabels, encode
from crowdsign.data.imageset import ImageSet


@dataclass(frozen=True)
class Targets:
    """Aggregated targets for the images of one ImageSet.

    Attributes:
        hard: ``(N,)`` int64 most probable class per image.
        soft: ``(N, C)`` float32 class posterior per image (rows sum to 1).
        answered: ``(N,)`` bool; images nobody answered get no target and are not trained on.
        codes: the integer-coded answers the estimator was fitted on.
        estimator: the fitted aggregator.
    """

    hard: np.ndarray
    soft: np.ndarray
    answered: np.ndarray
    codes: CodedAnswers
    estimator: Aggregator

    def noise_rate(self, truth: np.ndarray | None) -> float | None:
        """Share of answered images whose hard target differs from the truth (None if unknown)."""
        if truth is None or not self.answered.any():
            return None
        return float((self.hard[self.answered] != truth[self.answered]).mean())


def aggregate_targets(images: ImageSet, crowd: CrowdLabels, estimator: Aggregator) -> Targets:
    """Fit ``estimator`` on ``crowd.answers`` over every image of ``images``.

    Answers must refer to ``images.image_id`` and to class names of ``images.class_names``.
    """
    codes = encode(
        crowd.answers,
        tasks=images.image_id,
        labels=np.asarray(images.class_names, dtype=object),
    )
    estimator.fit_codes(codes)
    answered = np.bincount(codes.task.numpy(), minlength=codes.n_tasks) > 0
    return Targets(
        hard=estimator.hard_labels().cpu().numpy().astype(np.int64),
        soft=estimator.posteriors_.float().cpu().numpy(),
        answered=answered,
        codes=codes,
        estimator=estimator,
    )
