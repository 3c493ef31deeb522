"""Replay a past project: reveal its answers as if buying them, per strategy and budget.

``replay`` runs each strategy once per seed up to the largest budget (a smaller budget's run is
a prefix of it, see :mod:`.loop`) and returns one row per strategy × seed × budget: answers
used, cost at the configured pay and at the fair wage, label accuracy against truth.
``summarise`` gives mean ± std over seeds and ``goal`` the share of uniform k=3's answers the
adaptive strategy needs to reach uniform k=3's label accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.active.errors import LabelError
from crowdsign.crowd.active.loop import LoopSetup, run_loop
from crowdsign.crowd.active.oracle import ReplayOracle
from crowdsign.crowd.cost import CostModel, price


def read_truth(path: str | Path, tasks: np.ndarray, notes: list[str]) -> pd.Series:
    """``truth.csv`` (columns ``task,truth``) as a Series indexed by task, limited to ``tasks``.

    Truth for tasks the export does not have is dropped and counted in ``notes``.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise LabelError(f"truth={path}: cannot read it as CSV ({type(e).__name__})") from None
    missing = [c for c in ("task", "truth") if c not in frame.columns]
    if missing:
        raise LabelError(
            f"truth={path}: missing column(s) {missing}; the file needs a header 'task,truth'"
        )
    frame = frame[frame["truth"] != ""]
    dup = frame["task"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise LabelError(f"truth={path}: row {row}: task {frame['task'].iloc[row - 2]!r} twice")
    known = frame["task"].isin(set(tasks))
    if (~known).any():
        notes.append(f"truth: {int((~known).sum())} task(s) not in the export ignored")
    if not known.any():
        raise LabelError(f"truth={path}: none of its tasks is in the export; check the task ids")
    return frame[known].set_index("task")["truth"]


def budget_grid(top: float, step: float) -> list[float]:
    """Budgets in answers per image: ``1, 1 + step, …, top``."""
    if top < 1:
        raise LabelError(
            f"budget.answers_per_task={top} is below one answer per image; use at least 1"
        )
    if step <= 0:
        raise LabelError(f"budget.grid_step={step} must be > 0")
    grid = np.round(np.arange(1.0, top + 1e-9, step), 6).tolist()
    return sorted(set(grid) | {float(top)})


def replay(
    export: pd.DataFrame,
    truth: pd.Series | None,
    *,
    strategies: Mapping[str, Any],
    make_estimator: Callable[[], Any],
    budgets: Sequence[float],
    batch_size: int,
    seeds: Sequence[int],
    cost: CostModel,
    notes: list[str],
) -> pd.DataFrame:
    """One row per strategy × seed × budget (budgets in answers per image)."""
    tasks = np.asarray(pd.unique(export["task"]), dtype=object)
    labels = set(export["label"]) | (set() if truth is None else set(truth))
    classes = np.asarray(sorted(labels), dtype=object)
    code = np.full(len(tasks), -1, dtype=np.int64)
    if truth is not None:
        pos = pd.Index(tasks).get_indexer(truth.index)
        code[pos] = pd.Index(classes).get_indexer(truth.to_numpy())
    per_task = len(export) / len(tasks)
    if max(budgets) > per_task:
        notes.append(
            f"the export has {len(export)} answers ({per_task:.2f} per image): budgets above "
            "that stop when no answer is left to reveal"
        )
    checkpoints = [int(round(b * len(tasks))) for b in budgets]
    setup = LoopSetup(tasks, classes, make_estimator, truth=code)
    rows = []
    for name, strategy in strategies.items():
        for seed in seeds:
            oracle = ReplayOracle(export, tasks, seed=seed)
            result = run_loop(
                setup, strategy, oracle, checkpoints=checkpoints, batch_size=batch_size, seed=seed
            )
            notes.extend(f"{name}, seed {seed}: {n}" for n in result.notes)
            rows += _priced(result, name, seed, budgets, len(tasks), cost)
    return pd.DataFrame(rows)


def _priced(result, name, seed, budgets, n_tasks, cost) -> list[dict[str, Any]]:
    rows = []
    for budget, (_, h) in zip(budgets, result.history.iterrows(), strict=True):
        bought = result.answers.iloc[: int(h["answers"])]
        report = price(bought, cost)
        rows.append(
            {
                "strategy": name,
                "seed": seed,
                "budget_per_task": budget,
                "answers": int(h["answers"]),
                "answers_per_task": h["answers"] / n_tasks,
                "cost": report.total,
                "fair_cost": report.fair_total,
                **{k: h[k] for k in ("label_accuracy", "settled", "flagged_workers", "scored")},
            }
        )
    return rows


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds per strategy × budget."""
    cols = ["answers", "answers_per_task", "cost", "fair_cost", "label_accuracy", "settled"]
    rows = rows.assign(**{c: pd.to_numeric(rows[c], errors="coerce") for c in cols})
    g = rows.groupby(["strategy", "budget_per_task"])[cols]
    out = g.mean().join(g.std(ddof=0).add_suffix("_std")).join(g.size().rename("seeds"))
    return out.reset_index()


def goal(summary: pd.DataFrame, k: float = 3.0, adaptive: str = "adaptive") -> dict[str, Any]:
    """Answers adaptive needs to reach uniform k's mean label accuracy, as a share of uniform's."""
    uni = summary[(summary.strategy == "uniform") & np.isclose(summary.budget_per_task, k)]
    ada = summary[summary.strategy == adaptive].sort_values("answers")
    if uni.empty or ada.empty:
        return {}
    target, answers = float(uni.label_accuracy.iloc[0]), float(uni.answers.iloc[0])
    reach = ada[ada.label_accuracy >= target - 1e-12]
    out = {"k": k, "uniform_accuracy": target, "uniform_answers": answers}
    if reach.empty:
        out.update(reached=False, best_accuracy=float(ada.label_accuracy.max()))
    else:
        first = reach.iloc[0]
        out.update(
            reached=True,
            adaptive_answers=float(first.answers),
            adaptive_accuracy=float(first.label_accuracy),
            share=float(first.answers) / answers,
        )
    return out
