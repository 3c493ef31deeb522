"""Cells of a sweep and their mean ± std over seeds; the formatting every table shares.

A *condition* is a noise setting (crowd preset and noise level, prefixed by any other swept
override, e.g. ``model=tiny_cnn``); an *option* is how the labels are bought and used
(labels per image k and the aggregation method); a *cell* is condition × option × train size,
and its seeds are the runs averaged.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

CELL = ["condition", "option", "size"]
SUMMARY_METRICS = (
    "test/accuracy",
    "test/balanced_accuracy",
    "test/stop_recall",
    "train/label_noise",
    "cost",
    "fair_cost",
    "time/total_s",
)


def _g(x: float) -> str:
    return f"{x:g}" if isinstance(x, float | int) and math.isfinite(x) else ""


def add_labels(runs: pd.DataFrame) -> pd.DataFrame:
    """Add the ``condition`` and ``option`` label columns (strings) to a :func:`collect` table."""
    runs = runs.copy()
    if runs.empty:
        return runs.assign(condition=pd.Series(dtype=str), option=pd.Series(dtype=str))
    crowd = runs.get("crowd", pd.Series([None] * len(runs), index=runs.index))
    noise = runs.get("noise", pd.Series([math.nan] * len(runs), index=runs.index))
    variant = runs.get("variant", pd.Series([""] * len(runs), index=runs.index)).fillna("")
    runs["condition"] = [
        (f"{v}: " if v else "") + " ".join(p for p in (str(c or "labels"), _g(n)) if p)
        for v, c, n in zip(variant, crowd, noise, strict=True)
    ]
    k = runs.get("k", pd.Series([math.nan] * len(runs), index=runs.index))
    method = runs.get("method", pd.Series(["labels"] * len(runs), index=runs.index))
    runs["option"] = [
        " ".join(p for p in (f"k={_g(kk)}" if _g(kk) else "", str(m)) if p)
        for kk, m in zip(k, method, strict=True)
    ]
    return runs


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per cell: mean, std and count of each metric over its finished seeds.

    Columns: the cell keys, the axes (``crowd``, ``noise``, ``k``, ``method``), ``n_runs``
    (finished), ``n_failed``, ``n_incomplete``, and ``<metric>_mean``/``_std`` per metric.
    """
    if runs.empty:
        return pd.DataFrame(columns=[*CELL, "n_runs", "n_failed", "n_incomplete"])
    rows = []
    for (condition, option, size), cell in runs.groupby(CELL, dropna=False, sort=True):
        done = cell[cell["status"] == "done"]
        first = cell.iloc[0]
        row = {
            "condition": condition,
            "option": option,
            "size": size,
            **{c: first.get(c) for c in ("crowd", "noise", "k", "method", "variant")},
            "n_runs": len(done),
            "n_failed": int((cell["status"] == "failed").sum()),
            "n_incomplete": int((cell["status"] == "incomplete").sum()),
        }
        for metric in SUMMARY_METRICS:
            x = done[metric].to_numpy(dtype=float) if metric in done else np.array([])
            x = x[np.isfinite(x)]
            row[f"{metric}_mean"] = float(x.mean()) if x.size else math.nan
            row[f"{metric}_std"] = float(x.std(ddof=1)) if x.size > 1 else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def fmt(mean: float, std: float, n: int, digits: int = 3) -> str:
    """``0.912 ± 0.013 (3)``: mean ± std over n runs; ``–`` when nothing finished."""
    if n == 0 or not math.isfinite(mean):
        return "–"
    spread = f" ± {std:.{digits}f}" if math.isfinite(std) else " ± ?"
    return f"{mean:.{digits}f}{spread} ({n})"


def size_label(size: float) -> str:
    return f"{int(size):,}" if math.isfinite(size) else "?"
