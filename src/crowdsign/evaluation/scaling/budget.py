"""The fixed-budget question: for B dollars, more images or more labels per image?

This is the repeated-labeling question of Sheng, Provost & Ipeirotis (2008), "Get another
label?". Every run's labeling cost comes from its ``crowd/cost.json`` (the cost model of
:mod:`crowdsign.crowd.cost`), both at the platform's pay (rewards + fees) and at a fair wage
(every answer paid at least the fair hourly wage for its work time). Along one option's
sizes, accuracy is interpolated linearly in log cost (per seed, never extrapolated); at a
budget, the best option is the one with the highest mean accuracy there.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crowdsign.evaluation.scaling.paired import best_option

BASES = {"platform pay": "cost", "fair wage": "fair_cost"}


def default_budgets(runs: pd.DataFrame, cost: str, options: list[str], n: int = 4) -> list[float]:
    """``n`` budgets spread geometrically over the range every option and seed has measured."""
    spans = runs.groupby([*options, "seed"], dropna=False)[cost].agg(["min", "max"])
    spans = spans.dropna()
    if spans.empty:
        return []
    lo, hi = float(spans["min"].max()), float(spans["max"].min())
    if not 0 < lo <= hi:  # options do not overlap: use the union instead
        lo, hi = float(spans["min"].min()), float(spans["max"].max())
    if lo <= 0:
        return []
    # round to 3 significant digits, then clip so the ends stay inside the measured range
    raw = np.geomspace(lo, hi, n)
    digits = 2 - np.floor(np.log10(raw)).astype(int)
    nice = np.clip([round(b, d) for b, d in zip(raw, digits, strict=True)], lo, hi)
    return [float(b) for b in np.unique(nice)]


def accuracy_at(runs: pd.DataFrame, cost: str, metric: str, budget: float) -> np.ndarray:
    """Per seed of one option: ``metric`` interpolated at ``budget`` in log cost (NaN outside)."""
    out = []
    for _, seed_runs in runs.groupby("seed"):
        pts = seed_runs[[cost, metric]].dropna().groupby(cost)[metric].mean().sort_index()
        x = np.log(pts.index.to_numpy(dtype=float))
        if x.size == 0 or not x[0] <= math.log(budget) <= x[-1]:
            out.append(math.nan)
            continue
        out.append(float(np.interp(math.log(budget), x, pts.to_numpy(dtype=float))))
    return np.asarray(out)


def budget_table(
    runs: pd.DataFrame,
    *,
    condition: list[str],
    option: list[str],
    metric: str,
    budgets: list[float] | None = None,
) -> pd.DataFrame:
    """Accuracy at fixed budgets for every option, per condition and pay basis.

    Args:
        runs: finished runs with ``cost``, ``fair_cost``, ``size``, ``seed`` and ``metric``.
        condition: columns that name a noise condition (one table each).
        option: columns that name a buying option (e.g. ``k`` and ``method``).
        metric: the accuracy column.
        budgets: dollars; None picks :func:`default_budgets` per condition and basis.

    Returns:
        One row per condition × basis × budget × option: ``images`` (the budget over the
        option's mean cost per image), ``mean``, ``std``, ``n`` (seeds with a value) and
        ``best`` (the option with the highest mean at that budget, with the options it does not
        beat by a resolved paired difference over seeds as ``(≈ ...)``).
    """
    rows = []
    seeds: dict[tuple, dict[str, pd.Series]] = {}  # (condition, basis, budget) → option → per seed
    for cond, cond_runs in runs.groupby(condition, dropna=False, sort=True):
        for basis, cost in BASES.items():
            have = cond_runs.dropna(subset=[cost])
            if have.empty:
                continue
            amounts = list(budgets) if budgets else default_budgets(have, cost, option)
            for budget in amounts:
                for opt, opt_runs in have.groupby(option, dropna=False, sort=True):
                    acc = accuracy_at(opt_runs, cost, metric, budget)
                    per_image = float((opt_runs[cost] / opt_runs["size"]).mean())
                    key = (*_tuple(cond), basis, budget)
                    name = " ".join(str(v) for v in _tuple(opt))
                    index = sorted(opt_runs["seed"].unique())
                    seeds.setdefault(key, {})[name] = pd.Series(acc, index=index).dropna()
                    acc = acc[np.isfinite(acc)]
                    rows.append(
                        {
                            **dict(zip(condition, _tuple(cond), strict=True)),
                            "basis": basis,
                            "budget": budget,
                            **dict(zip(option, _tuple(opt), strict=True)),
                            "images": budget / per_image if per_image > 0 else math.nan,
                            "mean": float(acc.mean()) if acc.size else math.nan,
                            "std": float(acc.std(ddof=1)) if acc.size > 1 else math.nan,
                            "n": int(acc.size),
                        }
                    )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    group = [*condition, "basis", "budget"]
    best_label = {key: _best(values) for key, values in seeds.items()}
    table["best"] = [best_label.get(tuple(r[c] for c in group), "") for _, r in table.iterrows()]
    return table


def _best(values: dict[str, pd.Series]) -> str:
    """The option with the highest mean, and ``(≈ X)`` for those it does not beat (paired)."""
    top, ties = best_option({k: v for k, v in values.items() if len(v)})
    return top + (f" (≈ {', '.join(ties)})" if ties else "")


def _tuple(key: object) -> tuple:
    return key if isinstance(key, tuple) else (key,)
