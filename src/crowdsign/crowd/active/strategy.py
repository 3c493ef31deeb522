"""Which images get the next answers: adaptive (expected gain) or uniform (k per image).

A strategy is a small object with ``plan(assessment, n, *, can_ask, rng, left) -> DataFrame``
(``left``: answers the whole budget has left, None if unknown): at most
``n`` rows ``task, wanted, why, gain, p_top, answers``, one answer wanted per image per batch
(platforms' dynamic overlap: ask, look, ask again), never an image ``can_ask`` rules out (no
unflagged worker left who has not answered it, or ``max_per_task`` reached).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crowdsign.crowd.active.assess import Assessment, expected_error_reduction
from crowdsign.crowd.active.oracle import Router
from crowdsign.crowd.active.route import ROUTES, make_router

PLAN_COLUMNS = ["task", "wanted", "why", "gain", "p_top", "answers"]


def _frame(a: Assessment, pick: np.ndarray, why: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task": a.tasks[pick],
            "wanted": np.ones(len(pick), dtype=np.int64),
            "why": why,
            "gain": np.round(a.gain[pick], 4),
            "p_top": np.round(a.p_top[pick], 4),
            "answers": a.n_answers[pick],
        },
        columns=PLAN_COLUMNS,
    )


@dataclass
class AdaptiveStrategy:
    """Selective repeated labeling by expected gain.

    Images with no answer come first; then unsettled images by the expected information of one
    more answer (ties at random). Settled images and images at ``max_per_task`` are never asked.

    Attributes:
        settle: posterior an image must reach to stop (see :mod:`.assess`).
        prior_accuracy: accuracy assumed for a worker before their answers can be compared.
        prior_strength: pseudo-answers of that prior in each worker's estimate.
        max_per_task: most answers one image may get.
        block_flagged: route no work to workers flagged as spammer or adversarial.
        explore: share of images that get ``explore_answers`` answers while the first pass
            is still running (calibration overlap: workers become comparable early, so
            spammers are flagged and blocked before they answer most first passes); the
            exploration costs at most ``explore * (explore_answers - 1)`` answers per image.
        explore_answers: answers each exploration image gets during the first pass.
        pooled_prior: shrink each worker's accuracy towards the pool's mean (empirical Bayes)
            instead of the fixed ``prior_accuracy``.
        route: from whom (:mod:`.route`): ``thompson`` (the worker with the best sampled
            accuracy, new workers explored), ``greedy`` or ``random`` (whoever comes first).
        score: the value of one more answer: ``information`` (mutual information with the
            class) or ``error`` (expected error reduction, one-step).
    """

    settle: float = 0.95
    prior_accuracy: float = 0.8
    prior_strength: float = 2.0
    max_per_task: int = 7
    block_flagged: bool = True
    explore: float = 0.0
    explore_answers: int = 2
    pooled_prior: bool = False
    route: str = "thompson"
    score: str = "information"

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise ValueError(f"strategy.route={self.route!r}: use one of {', '.join(ROUTES)}")
        if self.score not in ("information", "error"):
            raise ValueError(f"strategy.score={self.score!r}: use information or error")
        if not 0.5 <= self.settle < 1.0:
            raise ValueError(f"strategy.settle={self.settle} must be in [0.5, 1)")
        if not 0.0 < self.prior_accuracy < 1.0:
            raise ValueError(f"strategy.prior_accuracy={self.prior_accuracy} must be in (0, 1)")
        if not 0.0 <= self.explore <= 1.0:
            raise ValueError(f"strategy.explore={self.explore} must be in [0, 1]")
        if self.explore_answers < 2:
            raise ValueError(f"strategy.explore_answers={self.explore_answers} must be >= 2")

    def plan(
        self,
        a: Assessment,
        n: int,
        *,
        can_ask: np.ndarray,
        rng: np.random.Generator,
        left: int | None = None,
    ) -> pd.DataFrame:
        open_ = can_ask & ~a.settled & (a.n_answers < self.max_per_task)
        idx = np.flatnonzero(open_)
        rank = np.where(a.n_answers[idx] == 0, 1, 2)
        rank[np.isin(idx, self._calibration(a, open_, rng, left))] = 0
        # lexsort: last key is primary: calibration, unanswered, then gain, random tie-break
        order = np.lexsort((rng.random(len(idx)), -self._score(a)[idx], rank))
        pick = idx[order[:n]]
        why = [self._why(a, i) for i in pick]
        return _frame(a, pick, why)

    def _score(self, a: Assessment) -> np.ndarray:
        """``(T,)`` the value of one more answer: ``information`` (mutual information, nats)
        or ``error`` (expected error reduction, information breaking its ties)."""
        if self.score == "error":
            return expected_error_reduction(a.q, a.next_accuracy) + 1e-6 * a.gain
        return a.gain

    def router(self, a: Assessment, rng: np.random.Generator) -> Router | None:
        """Who answers the next batch's requests (None: whoever comes first)."""
        return make_router(a, self.route, self.prior_strength, rng)

    def _calibration(
        self, a: Assessment, open_: np.ndarray, rng: np.random.Generator, left: int | None
    ) -> np.ndarray:
        """Images that get their next answer before the first pass is over (exploration);
        never more than the budget (``left``) spares beyond one answer per open image."""
        if self.explore <= 0 or not (a.n_answers == 0).any():
            return np.zeros(0, dtype=np.int64)
        quota = int(self.explore * len(a.tasks))
        multi = a.n_answers >= 2
        going = np.flatnonzero(open_ & multi & (a.n_answers < self.explore_answers))
        fresh = np.flatnonzero(open_ & (a.n_answers == 1))
        room = max(quota - int(multi.sum()), 0)
        pick = np.concatenate([going, rng.permutation(fresh)[:room]])
        if left is not None:
            pick = pick[: max(left - int((open_ & (a.n_answers == 0)).sum()), 0)]
        return pick

    def _why(self, a: Assessment, i: int) -> str:
        if a.n_answers[i] == 0:
            return "no answer yet"
        label = a.classes[a.labels[i]]
        return (
            f"unsettled: P({label})={a.p_top[i]:.2f} < {self.settle} after {a.n_answers[i]} "
            f"answer(s); expected gain {a.gain[i]:.3f} nats"
        )


@dataclass
class UniformStrategy:
    """The same number of answers for every image: fewest answers first, ties at random.

    Attributes:
        max_per_task: most answers one image may get (the uniform k of a budget is set by the
            budget itself: k answers per image are k passes over the images).
        block_flagged: off by default: the baseline is the platform's fixed overlap, which
            takes every worker's answer.
    """

    max_per_task: int = 7
    block_flagged: bool = False
    # fields the adaptive strategy has, kept so configs and the replay treat both alike
    settle: float = 0.95
    prior_accuracy: float = 0.8
    prior_strength: float = 2.0

    def plan(
        self,
        a: Assessment,
        n: int,
        *,
        can_ask: np.ndarray,
        rng: np.random.Generator,
        left: int | None = None,
    ) -> pd.DataFrame:
        idx = np.flatnonzero(can_ask & (a.n_answers < self.max_per_task))
        order = np.lexsort((rng.random(len(idx)), a.n_answers[idx]))
        pick = idx[order[:n]]
        why = [f"uniform pass {a.n_answers[i] + 1}" for i in pick]
        return _frame(a, pick, why)
