"""What crowd labels cost, what the people behind them earned, and what a fair wage would cost.

Per answer: the reward (from the export, else the configured one), the platform fee (Mechanical
Turk: 20%, 40% for HITs with 10 or more assignments; one HIT per image is assumed, so a task's
answer count is its HIT's assignment count) and the work time (from the export or the
simulation, else the configured one). Rejected answers are not paid and carry no fee: their
work is reported as unpaid.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class CostModel:
    """Pricing of crowd answers (the ``crowd.cost`` config node).

    Attributes:
        reward: reward per answer where the answers carry none (simulated pools), or None.
        seconds: work seconds per answer where the answers carry none, or None.
        fee: platform fee as a share of the reward.
        fee_large: the fee for HITs with at least ``large_batch`` assignments.
        large_batch: assignments per HIT from which ``fee_large`` applies (0 disables it).
        fair_wage: the hourly wage the fair price is computed at (US federal minimum).
        currency: label for amounts.
    """

    reward: float | None = None
    seconds: float | None = None
    fee: float = 0.20
    fee_large: float = 0.40
    large_batch: int = 10
    fair_wage: float = 7.25
    currency: str = "USD"


def as_cost_model(cost: Any) -> CostModel:
    """A :class:`CostModel` from a CostModel, a mapping of its fields, or None (defaults)."""
    if cost is None:
        return CostModel()
    if isinstance(cost, CostModel):
        return cost
    return CostModel(**dict(cost))


@dataclass
class CostReport:
    """Totals of :func:`price`; amounts are None where rewards (or times) are unknown."""

    currency: str
    answers: int
    images: int
    workers: int
    rejected: int
    correct: int | None
    rewards: float | None
    fees: float | None
    total: float | None
    per_image: float | None
    per_correct_label: float | None
    hours: float | None
    hourly_wage: float | None
    median_worker_wage: float | None
    hours_below_fair_wage: float | None
    fair_wage: float
    fair_total: float | None
    fair_per_image: float | None
    rejected_hours: float | None
    rejected_rewards: float | None
    rejected_value_at_fair_wage: float | None

    def to_dict(self) -> dict[str, Any]:
        return {k: _clean(v) for k, v in asdict(self).items()}

    def to_markdown(self) -> str:
        m = _money(self.currency)
        h = lambda v: "unknown" if v is None else f"{v:,.2f} h"  # noqa: E731
        share = (
            "unknown" if self.hours_below_fair_wage is None else f"{self.hours_below_fair_wage:.0%}"
        )
        rows = [
            ("answers / images / workers", f"{self.answers} / {self.images} / {self.workers}"),
            ("rewards paid", m(self.rewards)),
            ("platform fees", m(self.fees)),
            ("**total cost**", m(self.total)),
            ("cost per image", m(self.per_image, 4)),
            ("cost per correct label", m(self.per_correct_label, 4)),
            ("hours worked", h(self.hours)),
            ("effective hourly wage", m(self.hourly_wage) + " / h"),
            ("median worker's hourly wage", m(self.median_worker_wage) + " / h"),
            (f"work hours paid below {m(self.fair_wage)}/h", share),
            (f"**same labels at {m(self.fair_wage)}/h**", m(self.fair_total)),
            ("fair cost per image", m(self.fair_per_image, 4)),
            ("rejected answers (unpaid)", str(self.rejected)),
            ("unpaid work", h(self.rejected_hours)),
            ("rewards withheld", m(self.rejected_rewards)),
            ("unpaid work at the fair wage", m(self.rejected_value_at_fair_wage)),
        ]
        lines = ["# Crowd label cost", "", "| | |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in rows]
        return "\n".join(lines) + "\n"


def _clean(v: Any) -> Any:
    if isinstance(v, float | np.floating) and not math.isfinite(v):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _money(currency: str) -> Any:
    sign = "$" if currency == "USD" else f"{currency} "

    def fmt(v: float | None, digits: int = 2) -> str:
        return "unknown" if v is None else f"{sign}{v:,.{digits}f}"

    return fmt


def _sum(x: np.ndarray) -> float | None:
    """Sum, or None if no value is known."""
    return None if np.isnan(x).all() else float(np.nansum(x))


def _div(a: float | None, b: float | int | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _column(answers: pd.DataFrame, name: str, default: float | None) -> np.ndarray:
    """``answers[name]`` as floats, ``default`` where missing (NaN when no default)."""
    fill = np.nan if default is None else float(default)
    if name not in answers.columns:
        return np.full(len(answers), fill)
    x = answers[name].to_numpy(dtype=float)
    return np.where(np.isnan(x), fill, x)


def price(
    answers: pd.DataFrame, cost: CostModel | None = None, *, truth: pd.Series | None = None
) -> CostReport:
    """Price ``answers`` (the canonical table) under ``cost``.

    Args:
        answers: columns ``task``, ``worker``, ``label`` and any of ``reward``, ``seconds``,
            ``status``.
        cost: the pricing; ``None`` uses :class:`CostModel`'s defaults.
        truth: true label per task (index task, same label names as ``answers``), for the cost
            per correct label.
    """
    cost = as_cost_model(cost)
    n = len(answers)
    reward = _column(answers, "reward", cost.reward)
    seconds = _column(answers, "seconds", cost.seconds)
    status = answers["status"] if "status" in answers.columns else pd.Series(index=answers.index)
    rejected = (status.astype(str).str.lower() == "rejected").to_numpy()
    per_task = answers.groupby("task")["task"].transform("size").to_numpy()
    large = (per_task >= cost.large_batch) & (cost.large_batch > 0)
    fee_rate = np.where(large, cost.fee_large, cost.fee)
    paid = np.where(rejected, 0.0, reward)
    fees = paid * fee_rate
    hours = seconds / 3600.0
    fair = np.where(rejected, 0.0, np.fmax(reward, cost.fair_wage * hours))
    n_tasks = int(answers["task"].nunique())

    correct = None
    if truth is not None:
        right = answers["label"].to_numpy() == truth.reindex(answers["task"]).to_numpy()
        correct = int((right & ~rejected).sum())
    total = _sum(paid + fees)
    fair_total = _sum(fair * (1 + fee_rate))
    wage, median, below = _wages(answers["worker"], paid, hours, cost.fair_wage)
    return CostReport(
        currency=cost.currency,
        answers=n,
        images=n_tasks,
        workers=int(answers["worker"].nunique()),
        rejected=int(rejected.sum()),
        correct=correct,
        rewards=_sum(paid),
        fees=_sum(fees),
        total=total,
        per_image=_div(total, n_tasks),
        per_correct_label=_div(total, correct),
        hours=_sum(hours),
        hourly_wage=wage,
        median_worker_wage=median,
        hours_below_fair_wage=below,
        fair_wage=cost.fair_wage,
        fair_total=fair_total,
        fair_per_image=_div(fair_total, n_tasks),
        rejected_hours=_sum(hours[rejected]) if rejected.any() else 0.0,
        rejected_rewards=_sum(reward[rejected]) if rejected.any() else 0.0,
        rejected_value_at_fair_wage=(
            _sum(cost.fair_wage * hours[rejected]) if rejected.any() else 0.0
        ),
    )


def _wages(
    worker: pd.Series, paid: np.ndarray, hours: np.ndarray, fair_wage: float
) -> tuple[float | None, float | None, float | None]:
    """Overall hourly wage, the median worker's, and the share of hours paid below fair."""
    known = ~np.isnan(paid) & ~np.isnan(hours)
    if not known.any() or hours[known].sum() <= 0:
        return None, None, None
    per = pd.DataFrame({"w": worker.to_numpy()[known], "pay": paid[known], "h": hours[known]})
    per = per.groupby("w")[["pay", "h"]].sum()
    per = per[per["h"] > 0]
    wage = per["pay"] / per["h"]
    below = float(per["h"][wage < fair_wage].sum() / per["h"].sum())
    return float(paid[known].sum() / hours[known].sum()), float(wage.median()), below
