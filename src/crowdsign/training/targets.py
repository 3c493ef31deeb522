"""Crowd answers → training targets (hard labels and class posteriors), one per train image."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from crowdsign.crowd.aggregate import Aggregator
from crowdsign.crowd.aggregate.base import encode_gold
from crowdsign.crowd.answers import CodedAnswers, CrowdLabels, encode
from crowdsign.crowd.workers import worker_report
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
        gold_tasks: images whose known (gold) label the aggregator was given.
        excluded: workers whose answers were dropped (``aggregate.exclude_flagged``).
    """

    hard: np.ndarray
    soft: np.ndarray
    answered: np.ndarray
    codes: CodedAnswers
    estimator: Aggregator
    gold_tasks: int = 0
    excluded: tuple[str, ...] = ()

    def noise_rate(self, truth: np.ndarray | None) -> float | None:
        """Share of answered images whose hard target differs from the truth (None if unknown)."""
        if truth is None or not self.answered.any():
            return None
        return float((self.hard[self.answered] != truth[self.answered]).mean())


def aggregate_targets(
    images: ImageSet, crowd: CrowdLabels, estimator: Aggregator, gold: pd.Series | None = None
) -> Targets:
    """Fit ``estimator`` on ``crowd.answers`` over every image of ``images``.

    Answers must refer to ``images.image_id`` and to class names of ``images.class_names``.
    ``gold`` (index task → class name) gives the aggregator the known labels of some images;
    tasks outside ``images`` are ignored.
    """
    codes = encode(
        crowd.answers,
        tasks=images.image_id,
        labels=np.asarray(images.class_names, dtype=object),
    )
    known = None
    if gold is not None and len(gold):
        known = encode_gold(gold[gold.index.isin(codes.task_ids)], codes)
    estimator.fit_codes(codes, gold=known)
    answered = np.bincount(codes.task.numpy(), minlength=codes.n_tasks) > 0
    return Targets(
        hard=estimator.hard_labels().cpu().numpy().astype(np.int64),
        soft=estimator.posteriors_.float().cpu().numpy(),
        answered=answered,
        codes=codes,
        estimator=estimator,
        gold_tasks=0 if known is None else int((known >= 0).sum()),
    )


def crowd_targets(
    images: ImageSet,
    crowd: CrowdLabels,
    make_estimator: Callable[[], Aggregator],
    *,
    exclude_flagged: bool = False,
) -> Targets:
    """Training targets from ``crowd``, with its gold labels, optionally without spammers.

    With ``exclude_flagged`` the answers of the workers the first fit's worker report flags
    (spammer-like or adversarial, :func:`crowdsign.crowd.workers.worker_report`) are dropped
    and a fresh estimator is fitted on the rest.
    """
    targets = aggregate_targets(images, crowd, make_estimator(), crowd.gold)
    if not exclude_flagged:
        return targets
    report = worker_report(targets.codes, targets.estimator)
    flagged = tuple(str(w) for w in report.index[report["flagged"].to_numpy(dtype=bool)])
    if not flagged:
        return targets
    kept = crowd.answers[~crowd.answers["worker"].isin(flagged)].reset_index(drop=True)
    refit = aggregate_targets(images, replace(crowd, answers=kept), make_estimator(), crowd.gold)
    return replace(refit, excluded=flagged)
