"""Vote-based aggregators: majority vote (seeded tie-break) and Wawa (its skill-weighted form)."""

from __future__ import annotations

from typing import Self

import torch

from crowdsign.crowd.aggregate.base import (
    Aggregator,
    argmax_random_ties,
    check_gold,
    clamp_gold,
    normalise_rows,
    resolve_device,
    segment_sum,
    take,
    vote_counts,
)
from crowdsign.crowd.answers import CodedAnswers


class _Votes(Aggregator):
    """Shared fitted state of weighted voting: scores, per-answer weights, winners."""

    _scores: torch.Tensor  # (T, K) weighted vote counts
    _weight: torch.Tensor | None  # (N,) weight of each answer; None = 1
    _winner: torch.Tensor  # (T,) int64

    def __init__(self, *, seed: int = 0, device: str | torch.device | None = None) -> None:
        self.seed = seed
        self.device = device

    def _vote(
        self, codes: CodedAnswers, gold: torch.Tensor | None, weight: torch.Tensor | None
    ) -> None:
        self._scores = vote_counts(codes, weight)
        self._weight = weight
        self.posteriors_ = clamp_gold(normalise_rows(self._scores), gold)
        winner = argmax_random_ties(self._scores, self.seed)
        self._winner = winner if gold is None else torch.where(gold >= 0, gold, winner)

    def hard_labels(self) -> torch.Tensor:
        return self._winner

    def loo_posteriors(self) -> torch.Tensor:
        """``(n_answers, n_classes)`` vote shares of each answer's task without that vote."""
        c = self.coded_
        own = torch.nn.functional.one_hot(c.label, c.n_classes).float()
        if self._weight is not None:
            own = own * self._weight[:, None]
        q = normalise_rows((take(self._scores, c.task) - own).clamp_min(0.0))
        return q if self.gold_ is None else clamp_gold(q, take(self.gold_, c.task))


def agreement(codes: CodedAnswers, labels: torch.Tensor) -> torch.Tensor:
    """``(n_workers,)`` share of each worker's answers equal to ``labels`` ``(n_tasks,)``."""
    agree = (take(labels, codes.task) == codes.label).float()
    n = segment_sum(codes.worker, torch.ones_like(agree), codes.n_workers)
    return segment_sum(codes.worker, agree, codes.n_workers) / n.clamp_min(1.0)


class MajorityVote(_Votes):
    """Each task's label is its most frequent answer; ties are broken at random, seeded.

    Args:
        seed: seeds the tie-break.
        device: where to compute; ``None`` keeps the codes' device, ``"auto"`` picks CUDA.

    Fitted:
        posteriors_ : (n_tasks, n_classes) vote shares (uniform for a task with no answers;
            one-hot truth for gold tasks).
        worker_skills_ : (n_workers,) share of a worker's answers that agree with the majority.
    """

    def fit_codes(self, codes: CodedAnswers, gold: torch.Tensor | None = None) -> Self:
        codes = codes.to(resolve_device(self.device, codes))
        gold = check_gold(gold, codes)
        self.coded_, self.gold_ = codes, gold
        self._vote(codes, gold, None)
        self.worker_skills_ = agreement(codes, self._winner)
        return self


class Wawa(_Votes):
    """Worker Agreement With Aggregate: majority vote weighted by each worker's agreement with
    the plain majority vote (crowd-kit's ``Wawa``).

    Args:
        seed: seeds both tie-breaks.
        device: where to compute; ``None`` keeps the codes' device, ``"auto"`` picks CUDA.

    Fitted:
        posteriors_ : (n_tasks, n_classes) skill-weighted vote shares (uniform where every
            voter has skill 0).
        worker_skills_ : (n_workers,) share of a worker's answers that agree with the majority
            vote (with gold tasks scored against their truth).
    """

    def fit_codes(self, codes: CodedAnswers, gold: torch.Tensor | None = None) -> Self:
        codes = codes.to(resolve_device(self.device, codes))
        gold = check_gold(gold, codes)
        self.coded_, self.gold_ = codes, gold
        majority = MajorityVote(seed=self.seed).fit_codes(codes, gold)
        self.worker_skills_ = majority.worker_skills_
        self._vote(codes, gold, take(self.worker_skills_, codes.worker))
        return self
