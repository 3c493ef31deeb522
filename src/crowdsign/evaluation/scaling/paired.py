"""Paired comparisons over seeds: when does option A beat option B?

Runs of one seed share their train subset and their crowd's answers (nested per image), so
two options are compared seed by seed: the difference ``A - B`` per shared seed, its mean and a
95% t interval over seeds. A difference is *resolved* when that interval excludes 0; with
3 seeds it has to be large and consistent (the t quantile for 2 degrees of freedom is 4.30).
Every "A beats B" the report states comes from here, with its number of seeds.
"""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pandas as pd

# two-sided 95% t quantiles for 1..30 degrees of freedom; beyond: the normal's
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip


def t95(df: int) -> float:
    return _T95[df - 1] if 1 <= df <= len(_T95) else 1.959964


def paired_difference(a: pd.Series, b: pd.Series) -> dict[str, float]:
    """``A - B`` over the seeds both have (Series indexed by seed).

    Returns ``diff`` (mean), ``std`` (over seeds), ``lo``/``hi`` (95% t interval), ``n``
    (shared seeds) and ``resolved`` (1.0 when the interval excludes 0, else 0.0).
    """
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    common = a.index.intersection(b.index)
    d = (a.loc[common] - b.loc[common]).to_numpy(dtype=float)
    n = len(d)
    if n == 0:
        return {"diff": math.nan, "std": math.nan, "lo": math.nan, "hi": math.nan, "n": 0,
                "resolved": 0.0}  # fmt: skip
    mean = float(d.mean())
    std = float(d.std(ddof=1)) if n > 1 else math.nan
    half = t95(n - 1) * std / math.sqrt(n) if n > 1 else math.nan
    lo, hi = mean - half, mean + half
    resolved = n > 1 and (lo > 0 or hi < 0)
    return {"diff": mean, "std": std, "lo": lo, "hi": hi, "n": n, "resolved": float(resolved)}


def per_seed(runs: pd.DataFrame, metric: str) -> pd.Series:
    """``metric`` per seed (mean if a seed has several runs), indexed by seed."""
    return runs.dropna(subset=[metric]).groupby("seed")[metric].mean()


def paired_table(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Every ordered pair of options per condition and size (``A - B`` over shared seeds).

    Columns: ``condition``, ``size``, ``a``, ``b``, ``diff``, ``std``, ``lo``, ``hi``, ``n``,
    ``resolved``.
    """
    rows = []
    for (condition, size), cell in runs.groupby(["condition", "size"], sort=True):
        seeds = {o: per_seed(g, metric) for o, g in cell.groupby("option", sort=True)}
        for a, b in permutations(seeds, 2):
            rows.append(
                {
                    "condition": condition,
                    "size": size,
                    "a": a,
                    "b": b,
                    **paired_difference(seeds[a], seeds[b]),
                }  # fmt: skip
            )
    cols = ["condition", "size", "a", "b", "diff", "std", "lo", "hi", "n", "resolved"]
    return pd.DataFrame(rows, columns=cols)


def best_option(values: dict[str, pd.Series]) -> tuple[str, list[str]]:
    """The option with the highest mean, and the options it does not beat (paired, resolved);
    ``("", [])`` with fewer than two options to compare."""
    means = {o: float(v.mean()) for o, v in values.items() if len(v)}
    if len(means) < 2:
        return (next(iter(means)), []) if means else ("", [])
    top = max(means, key=means.get)  # type: ignore[arg-type]
    ties = [
        o
        for o in sorted(means)
        if o != top and not paired_difference(values[top], values[o])["resolved"]
    ]
    return top, ties


def fmt_difference(r: dict | pd.Series, digits: int = 3) -> str:
    """``+0.036 [+0.012, +0.060] (3 seeds, resolved)``."""
    if not r["n"]:
        return "no shared seed"
    interval = f" [{r['lo']:+.{digits}f}, {r['hi']:+.{digits}f}]" if math.isfinite(r["lo"]) else ""
    verdict = "resolved" if r["resolved"] else "not resolved"
    return f"{r['diff']:+.{digits}f}{interval} ({int(r['n'])} seeds, {verdict})"
