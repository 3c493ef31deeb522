"""Seeded crowds with known worker confusion matrices, for aggregation tests and benchmarks.

Unlike :func:`crowdsign.crowd.simulate.simulate_crowd` (which labels an ``ImageSet``), this
draws answers straight from per-worker confusion matrices, so the truth, each worker's type and
each worker's accuracy are known exactly, including spammers, constant and adversarial workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from crowdsign.crowd.answers import CodedAnswers

# Honest types by skill kappa in [0, 1]: accuracy = 1/K + (1 - 1/K) * kappa.
HONEST_KAPPA = {"reliable": (0.7, 0.95), "average": (0.4, 0.7), "weak": (0.2, 0.4)}
WORKER_TYPES = (*HONEST_KAPPA, "spammer", "constant", "adversarial")


@dataclass(frozen=True)
class SyntheticCrowd:
    """Answers with their ground truth.

    Attributes:
        codes: the answers; task, worker and label ids are ``0..T-1``, ``0..W-1``, ``0..K-1``.
        truth: ``(n_tasks,)`` int64 true class.
        confusions: ``(n_workers, K, K)`` ``P(answer k | truth c)`` at ``[w, c, k]``.
        workers: indexed by worker id; ``type`` and ``accuracy`` (probability of a right answer
            under the class prior), as ``worker_report(simulated=...)`` takes them.
    """

    codes: CodedAnswers
    truth: torch.Tensor
    confusions: torch.Tensor
    workers: pd.DataFrame

    def answers(self) -> pd.DataFrame:
        """The long table (columns task, worker, label) of the same answers."""
        c = self.codes
        return pd.DataFrame(
            {
                "task": c.task_ids[c.task.numpy()],
                "worker": c.worker_ids[c.worker.numpy()],
                "label": c.label_ids[c.label.numpy()],
            }
        )


def _confusions(types: np.ndarray, k: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W, K, K)`` confusion matrices for worker ``types`` ``(W,)``, and ``(W,)`` kappas."""
    w = len(types)
    u = torch.rand(w, generator=g, dtype=torch.float64)
    lo = torch.tensor([HONEST_KAPPA.get(t, (0.0, 0.0))[0] for t in types], dtype=torch.float64)
    hi = torch.tensor([HONEST_KAPPA.get(t, (0.0, 0.0))[1] for t in types], dtype=torch.float64)
    kappa = lo + (hi - lo) * u
    eye = torch.eye(k, dtype=torch.float64)
    conf = kappa[:, None, None] * eye + (1 - kappa[:, None, None]) / k  # one-coin honest
    kind = torch.as_tensor(np.array([WORKER_TYPES.index(t) for t in types]))
    constant = torch.randint(0, k, (w,), generator=g)
    const_rows = torch.nn.functional.one_hot(constant, k).double()[:, None, :].expand(w, k, k)
    shift = torch.roll(eye, 1, dims=1)  # truth c -> answer c + 1
    a = (0.7 + 0.2 * u)[:, None, None]
    adversarial = a * shift + (1 - a) * (1 - shift) / max(k - 1, 1)
    conf = torch.where((kind == WORKER_TYPES.index("constant"))[:, None, None], const_rows, conf)
    conf = torch.where(
        (kind == WORKER_TYPES.index("adversarial"))[:, None, None], adversarial, conf
    )
    return conf.float(), kappa


def synthetic_crowd(
    n_tasks: int,
    n_workers: int,
    n_classes: int = 2,
    per_task: int = 5,
    *,
    shares: dict[str, float] | None = None,
    class_prior: list[float] | None = None,
    seed: int = 0,
) -> SyntheticCrowd:
    """Every task answered by ``per_task`` distinct workers drawn uniformly at random.

    Args:
        shares: worker type → share of the pool (types in :data:`WORKER_TYPES`); default
            ``{"reliable": 0.5, "average": 0.3, "weak": 0.1, "spammer": 0.1}``.
        class_prior: ``(n_classes,)`` truth distribution; default uniform.
        seed: seeds everything (a private ``torch.Generator``).
    """
    if not 1 <= per_task <= n_workers:
        raise ValueError(f"per_task={per_task} must be between 1 and n_workers={n_workers}")
    shares = shares or {"reliable": 0.5, "average": 0.3, "weak": 0.1, "spammer": 0.1}
    unknown = set(shares) - set(WORKER_TYPES)
    if unknown:
        raise ValueError(f"unknown worker type(s) {sorted(unknown)}; known: {WORKER_TYPES}")
    g = torch.Generator().manual_seed(seed)
    names = list(shares)
    p = torch.tensor([shares[t] for t in names], dtype=torch.float64)
    types = np.array(names)[torch.multinomial(p / p.sum(), n_workers, True, generator=g).numpy()]
    conf, _ = _confusions(types, n_classes, g)

    prior = (
        torch.full((n_classes,), 1.0 / n_classes)
        if class_prior is None
        else torch.tensor(class_prior, dtype=torch.float32)
    )
    truth = torch.multinomial(prior / prior.sum(), n_tasks, True, generator=g)
    # distinct workers per task: a random start plus positive gaps summing to less than W
    max_gap = max(1, (n_workers - 1) // max(per_task - 1, 1))
    gaps = torch.randint(1, max_gap + 1, (n_tasks, per_task), generator=g)
    gaps[:, 0] = torch.randint(0, n_workers, (n_tasks,), generator=g)
    worker = (gaps.cumsum(1) % n_workers).reshape(-1)
    task = torch.arange(n_tasks).repeat_interleave(per_task)
    cdf = conf.cumsum(-1)[worker, truth[task]]  # (N, K)
    u = torch.rand(len(task), 1, generator=g)
    label = (u > cdf).sum(1).clamp_max(n_classes - 1)

    accuracy = (conf.diagonal(dim1=1, dim2=2) * (prior / prior.sum())).sum(1)
    ids = np.arange(n_workers)
    codes = CodedAnswers(
        task=task,
        worker=worker,
        label=label,
        task_ids=np.arange(n_tasks),
        worker_ids=ids,
        label_ids=np.arange(n_classes),
    )
    workers = pd.DataFrame(
        {"type": types, "accuracy": accuracy.numpy().astype(float)},
        index=pd.Index(ids, name="worker"),
    )
    return SyntheticCrowd(codes=codes, truth=truth, confusions=conf, workers=workers)
