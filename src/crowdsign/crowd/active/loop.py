"""The buying loop: assess → plan a batch → reveal (or buy) answers → repeat, within a budget.

``run_loop`` drives a strategy against an oracle (:class:`~.oracle.ReplayOracle`), records the
label accuracy at each budget checkpoint, and stops at the budget, when every image is settled
or when no image can be asked any more. Batches are cut at checkpoints, so the run at a smaller
budget is exactly a prefix of the run at a larger one (one run gives the whole budget curve).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.active.assess import Assessment, assess
from crowdsign.crowd.active.oracle import ReplayOracle

Refresh = Callable[[pd.DataFrame, Assessment], np.ndarray | None]


@dataclass
class LoopResult:
    """``answers``: every revealed answer; ``history``: one row per checkpoint."""

    answers: pd.DataFrame
    history: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    last: Assessment | None = None


@dataclass
class LoopSetup:
    """What the loop works on.

    Attributes:
        tasks: ``(T,)`` image ids; classes: ``(K,)`` class names.
        make_estimator: returns a fresh aggregator (``instantiate(cfg.aggregate.estimator)``).
        truth: ``(T,)`` class code per image, ``-1`` where unknown (not scored), or None.
        refresh: optional ``(answers, assessment) -> model probabilities (T, K)``, called at
            each checkpoint (a model trained on the labels so far).
    """

    tasks: np.ndarray
    classes: np.ndarray
    make_estimator: Callable[[], Any]
    truth: np.ndarray | None = None
    refresh: Refresh | None = None


def _assess(setup: LoopSetup, strategy: Any, answers: pd.DataFrame, probs: Any) -> Assessment:
    return assess(
        answers,
        setup.tasks,
        setup.classes,
        setup.make_estimator(),
        settle=strategy.settle,
        prior_accuracy=strategy.prior_accuracy,
        prior_strength=strategy.prior_strength,
        pooled_prior=getattr(strategy, "pooled_prior", False),
        model_probs=probs,
    )


def _record(a: Assessment, setup: LoopSetup, budget: int, spent: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "budget": budget,
        "answers": spent,
        "settled": int(a.settled.sum()),
        "flagged_workers": len(a.flagged),
        "model_weight": round(a.model_weight, 3),
    }
    if setup.truth is not None:
        known = (setup.truth >= 0) & (a.n_answers > 0)
        scored = setup.truth >= 0
        right = (a.labels == setup.truth) & known
        row["scored"] = int(scored.sum())
        row["label_accuracy"] = float(right[scored].mean()) if scored.any() else float("nan")
    return row


def run_loop(
    setup: LoopSetup,
    strategy: Any,
    oracle: ReplayOracle,
    *,
    checkpoints: Sequence[int],
    batch_size: int,
    seed: int,
    initial: pd.DataFrame | None = None,
) -> LoopResult:
    """Buy answers in batches of ``batch_size`` up to ``max(checkpoints)`` answers.

    ``initial``: answers already bought (not counted against the budget; ``answers`` starts
    with them). Label accuracy counts an image nobody answered as wrong (it has no label).
    """
    rng = np.random.default_rng(seed)
    marks = sorted({int(c) for c in checkpoints if c > 0})
    answers = oracle.frame.iloc[:0].copy() if initial is None else initial.reset_index(drop=True)
    if initial is not None:
        oracle.note_answered(initial, setup.tasks)
    history, notes, probs = [], [], None
    a = _assess(setup, strategy, answers, probs)
    spent = 0
    blocked = (lambda a: a.flagged) if strategy.block_flagged else (lambda a: frozenset())
    for mark in marks:
        while spent < mark:
            plan = strategy.plan(
                a,
                min(batch_size, mark - spent),
                can_ask=oracle.can_ask(blocked(a)),
                rng=rng,
                left=marks[-1] - spent,
            )
            if plan.empty:
                break
            route = getattr(strategy, "router", None)
            new = oracle.ask(plan, setup.tasks, blocked(a), route(a, rng) if route else None)
            if new.empty:
                break
            answers = pd.concat([answers, new], ignore_index=True)
            spent += len(new)
            a = _assess(setup, strategy, answers, probs)
        if setup.refresh is not None and len(answers):
            probs = setup.refresh(answers, a)
            a = _assess(setup, strategy, answers, probs)
        history.append(_record(a, setup, mark, spent))
        if spent < mark:
            why = "every image settled" if a.settled.all() else "no answer left to ask for"
            notes.append(f"stopped at {spent} answers of a {mark} budget: {why}")
            for later in marks[marks.index(mark) + 1 :]:
                history.append(_record(a, setup, later, spent))
            break
    return LoopResult(answers=answers, history=pd.DataFrame(history), notes=notes, last=a)
