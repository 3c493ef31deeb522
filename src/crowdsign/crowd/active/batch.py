"""The next batch to buy under a dollar budget (``label.py``, ``mode=next``).

The budget is the project's total: what the answers so far cost is taken off first. One answer
costs the reward (the export's median, else ``crowd.cost.reward``) plus the platform fee. The
batch is priced with :func:`crowdsign.crowd.cost.price` at that pay and at the fair wage (from
the export's median work time, else ``crowd.cost.seconds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.active.assess import Assessment, assess
from crowdsign.crowd.active.errors import LabelError
from crowdsign.crowd.cost import CostModel, CostReport, price


@dataclass
class NextBatch:
    """The plan and what it costs.

    Attributes:
        plan: one row per image to ask (``task, wanted, why, gain, p_top, answers``).
        assessment: the look at the answers so far it was planned from.
        spent: what the answers so far cost (at their rewards and fee).
        answer_price: the price of one more answer, fee included.
        affordable: answers the budget has left.
        cost: the batch priced at the configured pay and at the fair wage.
        notes: counted notes (batch cut to the budget, nothing left to ask, ...).
    """

    plan: pd.DataFrame
    assessment: Assessment
    spent: float
    answer_price: float
    affordable: int
    cost: CostReport | None
    notes: list[str]


def _median(answers: pd.DataFrame, column: str, default: float | None) -> float | None:
    if column in answers.columns:
        x = pd.to_numeric(answers[column], errors="coerce").dropna()
        if len(x):
            return float(x.median())
    return default


def _budget(answers: pd.DataFrame, cost: CostModel, dollars: float | None, n_images: int):
    reward = _median(answers, "reward", cost.reward)
    if reward is None or reward <= 0:
        raise LabelError(
            "no reward per answer is known: the answers carry none; set crowd.cost.reward"
        )
    if dollars is None:
        raise LabelError("budget.dollars is not set: give the project's total budget")
    each = reward * (1 + cost.fee)
    if dollars < n_images * each - 1e-9:
        raise LabelError(
            f"budget.dollars={dollars:g} is below one answer per image ({n_images} images x "
            f"${each:.4f} = ${n_images * each:.2f}); raise budget.dollars"
        )
    spent = 0.0
    if len(answers):
        known = answers["reward"] if "reward" in answers.columns else np.nan
        filled = answers.assign(reward=pd.Series(known, index=answers.index).fillna(reward))
        spent = price(filled, cost).total or 0.0
    left = math.floor((dollars - spent) / each + 1e-9)
    if left <= 0:
        raise LabelError(
            f"budget.dollars={dollars:g} is spent: the {len(answers)} answers so far cost "
            f"${spent:.2f}; raise budget.dollars to buy more"
        )
    return reward, each, spent, left


def next_batch(
    tasks: np.ndarray,
    classes: np.ndarray,
    answers: pd.DataFrame,
    *,
    estimator: Any,
    strategy: Any,
    cost: CostModel,
    dollars: float | None,
    size: int,
    model_probs: np.ndarray | None = None,
    seed: int = 0,
) -> NextBatch:
    """Plan the next batch of at most ``size`` answers within ``dollars`` (the total budget)."""
    if size < 1:
        raise LabelError(f"batch.size={size} must be at least 1")
    notes: list[str] = []
    reward, each, spent, left = _budget(answers, cost, dollars, len(tasks))
    n = size
    if size > left:
        notes.append(
            f"batch.size={size} is more than the {left} answers the budget has left: "
            f"the batch is cut to {left}"
        )
        n = left
    a = assess(
        answers,
        tasks,
        classes,
        estimator,
        settle=strategy.settle,
        prior_accuracy=strategy.prior_accuracy,
        prior_strength=strategy.prior_strength,
        pooled_prior=getattr(strategy, "pooled_prior", False),
        model_probs=model_probs,
    )
    rng = np.random.default_rng(seed)
    plan = strategy.plan(a, n, can_ask=np.ones(len(tasks), dtype=bool), rng=rng, left=left)
    if plan.empty:
        notes.append(
            f"nothing to ask: {int(a.settled.sum())} of {len(tasks)} images settled, the rest "
            "at strategy.max_per_task"
        )
    report = None
    if not plan.empty:
        seconds = _median(answers, "seconds", cost.seconds)
        planned = pd.DataFrame(
            {
                "task": np.repeat(plan["task"].to_numpy(), plan["wanted"].to_numpy()),
                "worker": "next",
                "label": "",
                "reward": reward,
                "seconds": np.nan if seconds is None else seconds,
            }
        )
        report = price(planned, cost)
    return NextBatch(plan, a, spent, each, left, report, notes)
