"""Majority vote with a seeded tie-break."""

from __future__ import annotations

import torch

from crowdsign.crowd.aggregate.base import Aggregator, normalise_rows, tie_break_noise, vote_counts
from crowdsign.crowd.answers import CodedAnswers


class MajorityVote(Aggregator):
    """Each task's label is its most frequent answer; ties are broken at random, seeded.

    Fitted:
        posteriors_ : (n_tasks, n_classes) vote shares (uniform for a task with no answers).
        worker_skills_ : (n_workers,) share of a worker's answers that agree with the majority.
    """

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def fit_codes(self, codes: CodedAnswers) -> MajorityVote:
        counts = vote_counts(codes)
        self.coded_ = codes
        self.posteriors_ = normalise_rows(counts)
        self._winner = (counts + tie_break_noise(counts.shape, self.seed, counts.device)).argmax(1)
        agree = (self._winner[codes.task] == codes.label).float()
        n = torch.zeros(codes.n_workers, device=agree.device).index_add_(
            0, codes.worker, torch.ones_like(agree)
        )
        hits = torch.zeros_like(n).index_add_(0, codes.worker, agree)
        self.worker_skills_ = hits / n.clamp_min(1)
        return self

    def hard_labels(self) -> torch.Tensor:
        return self._winner
