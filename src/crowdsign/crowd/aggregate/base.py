"""Shared estimator shell: crowd-kit's DataFrame API over an integer-tensor core."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import pandas as pd
import torch

from crowdsign.crowd.answers import CodedAnswers, encode


class Aggregator(ABC):
    """Base class for label aggregators.

    Subclasses implement :meth:`fit_codes`, which must set ``posteriors_`` (a float32 tensor of
    shape ``(n_tasks, n_classes)``, rows summing to 1) and may set ``worker_skills_``
    (``(n_workers,)``). The DataFrame API (crowd-kit compatible) is derived from them:

    - ``labels_``: ``pandas.Series`` indexed by task, value the label.
    - ``probas_``: ``pandas.DataFrame`` ``(n_tasks, n_classes)``, index task, columns labels.
    - ``skills_``: ``pandas.Series`` indexed by worker (when the method estimates skills).
    """

    posteriors_: torch.Tensor
    worker_skills_: torch.Tensor | None = None
    coded_: CodedAnswers

    @abstractmethod
    def fit_codes(self, codes: CodedAnswers) -> Aggregator:
        """Fit on integer-coded answers; the training pipeline calls this directly."""

    def hard_labels(self) -> torch.Tensor:
        """``(n_tasks,)`` int64 code of the most probable class."""
        return self.posteriors_.argmax(dim=1)

    # crowd-kit compatible API --------------------------------------------------------------
    def fit(self, answers: pd.DataFrame) -> Aggregator:
        """Fit on a long table with columns ``task``, ``worker``, ``label``."""
        return self.fit_codes(encode(answers))

    def fit_predict(self, answers: pd.DataFrame) -> pd.Series:
        return self.fit(answers).labels_

    def fit_predict_proba(self, answers: pd.DataFrame) -> pd.DataFrame:
        return self.fit(answers).probas_

    @property
    def labels_(self) -> pd.Series:
        codes = self.hard_labels().cpu().numpy()
        return pd.Series(
            self.coded_.label_ids[codes],
            index=pd.Index(self.coded_.task_ids, name="task"),
            name="agg_label",
        )

    @property
    def probas_(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.posteriors_.cpu().numpy(),
            index=pd.Index(self.coded_.task_ids, name="task"),
            columns=pd.Index(self.coded_.label_ids, name="label"),
        )

    @property
    def skills_(self) -> pd.Series:
        if self.worker_skills_ is None:
            raise AttributeError(f"{type(self).__name__} does not estimate worker skills")
        return pd.Series(
            self.worker_skills_.cpu().numpy(),
            index=pd.Index(self.coded_.worker_ids, name="worker"),
            name="skill",
        )


def vote_counts(codes: CodedAnswers, weights: torch.Tensor | None = None) -> torch.Tensor:
    """``(n_tasks, n_classes)`` float32 sum of (weighted) votes, by one scatter-add."""
    flat = codes.task * codes.n_classes + codes.label
    w = torch.ones_like(flat, dtype=torch.float32) if weights is None else weights.float()
    counts = torch.zeros(codes.n_tasks * codes.n_classes, dtype=torch.float32, device=flat.device)
    counts.index_add_(0, flat, w)
    return counts.view(codes.n_tasks, codes.n_classes)


def tie_break_noise(shape: tuple[int, ...], seed: int, device: torch.device) -> torch.Tensor:
    """Uniform noise in ``[0, 1e-3)`` to break ties between equal vote counts, seeded."""
    g = torch.Generator(device="cpu").manual_seed(seed)
    return (torch.rand(shape, generator=g) * 1e-3).to(device)


def normalise_rows(x: torch.Tensor) -> torch.Tensor:
    """Rows scaled to sum 1; an all-zero row (a task nobody answered) becomes uniform."""
    s = x.sum(dim=1, keepdim=True)
    uniform = torch.full_like(x, 1.0 / max(x.shape[1], 1))
    return torch.where(s > 0, x / s.clamp_min(np.finfo(np.float32).tiny), uniform)
