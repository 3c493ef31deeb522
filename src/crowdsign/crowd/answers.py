"""The canonical crowd-answer table and its integer-coded form.

Every crowd source (simulated pool, AMT/Toloka/Label Studio export, plain CSV) becomes one long
``pandas.DataFrame`` with columns ``task`` (image id), ``worker``, ``label`` and, when known,
``seconds``, ``reward``, ``status``, ``submitted_at``. Aggregators take that table (crowd-kit's
convention) or, on the hot path, a :class:`CodedAnswers` of integer tensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from crowdsign.data.summary import LoadSummary

REQUIRED_COLUMNS = ("task", "worker", "label")
OPTIONAL_COLUMNS = ("seconds", "reward", "status", "submitted_at")


def check_answers(answers: pd.DataFrame, *, source: str = "answers") -> None:
    """Raise ``ValueError`` naming ``source`` if ``answers`` lacks a required column."""
    missing = [c for c in REQUIRED_COLUMNS if c not in answers.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {missing}; have {list(answers.columns)}")


@dataclass(frozen=True)
class CodedAnswers:
    """Answers as integer codes, ready for vectorised aggregation.

    Attributes:
        task: ``(n_answers,)`` int64 in ``[0, n_tasks)``.
        worker: ``(n_answers,)`` int64 in ``[0, n_workers)``.
        label: ``(n_answers,)`` int64 in ``[0, n_classes)``.
        task_ids: ``(n_tasks,)`` the original task ids, in code order.
        worker_ids: ``(n_workers,)`` the original worker ids, in code order.
        label_ids: ``(n_classes,)`` the original labels, in code order. Classes nobody chose
            are allowed (they get zero counts, never NaN).
    """

    task: torch.Tensor
    worker: torch.Tensor
    label: torch.Tensor
    task_ids: np.ndarray
    worker_ids: np.ndarray
    label_ids: np.ndarray

    @property
    def n_answers(self) -> int:
        return int(self.task.numel())

    @property
    def n_tasks(self) -> int:
        return len(self.task_ids)

    @property
    def n_workers(self) -> int:
        return len(self.worker_ids)

    @property
    def n_classes(self) -> int:
        return len(self.label_ids)

    def to(self, device: torch.device | str) -> CodedAnswers:
        return CodedAnswers(
            self.task.to(device),
            self.worker.to(device),
            self.label.to(device),
            self.task_ids,
            self.worker_ids,
            self.label_ids,
        )


def _codes(
    values: pd.Series, vocabulary: np.ndarray | None, what: str
) -> tuple[np.ndarray, np.ndarray]:
    if vocabulary is None:
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64), np.asarray(uniques)
    vocabulary = np.asarray(vocabulary)
    codes = pd.Index(vocabulary).get_indexer(values)
    if (codes < 0).any():
        bad = pd.unique(values[codes < 0])[:5]
        raise ValueError(f"answers: {what} {list(bad)} not in the given {what} vocabulary")
    return codes.astype(np.int64), vocabulary


def encode(
    answers: pd.DataFrame,
    *,
    tasks: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> CodedAnswers:
    """Code ``answers`` (columns task, worker, label) as integer tensors.

    ``tasks`` fixes the task order (e.g. every image of a split, including images nobody
    answered); ``labels`` fixes the class order (e.g. class indices ``0..C-1``, so a class nobody
    chose still has a column). Without them, the sorted unique values are used.
    """
    check_answers(answers)
    t, task_ids = _codes(answers["task"], tasks, "task")
    w, worker_ids = _codes(answers["worker"], None, "worker")
    y, label_ids = _codes(answers["label"], labels, "label")
    return CodedAnswers(
        task=torch.from_numpy(t),
        worker=torch.from_numpy(w),
        label=torch.from_numpy(y),
        task_ids=task_ids,
        worker_ids=worker_ids,
        label_ids=label_ids,
    )


@dataclass
class CrowdLabels:
    """What a crowd source hands on: the answer table and an account of how it was loaded.

    Attributes:
        answers: long table, columns ``task`` (an ``ImageSet.image_id``), ``worker``, ``label``
            (a class name) and optional columns from :data:`OPTIONAL_COLUMNS`.
        summary: rows read / kept / dropped per reason.
        workers: per-worker facts known to the source (for a simulated pool: its type and true
            accuracy), indexed by worker; ``None`` for real exports.
        cost: the pricing the source was configured with (a ``crowdsign.crowd.cost.CostModel``)
            or ``None``; the crowd reports use it when no other cost model is given.
        gold: known true labels of some tasks (index task, class names): an export's own gold
            column (Toloka's ``GOLDEN:*``) or a ``crowd.gold`` file; the aggregator gets them.
    """

    answers: pd.DataFrame
    summary: LoadSummary
    workers: pd.DataFrame | None = None
    cost: Any = None
    gold: pd.Series | None = None
