"""``report.md`` of the scaling study: every number as mean ± std over seeds (runs)."""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np
import pandas as pd

from crowdsign.evaluation.scaling.collect import Sweep
from crowdsign.evaluation.scaling.fit import POOR_R2, CurveFit
from crowdsign.evaluation.scaling.paired import best_option, fmt_difference, per_seed
from crowdsign.evaluation.scaling.summary import fmt, size_label
from crowdsign.markdown import table

MAX_LISTED = 25  # failed runs / missing cells listed before "... and N more"


def _cell(summary: pd.DataFrame, metric: str, **where) -> str:
    mask = np.ones(len(summary), dtype=bool)
    for k, v in where.items():
        mask &= (summary[k] == v).to_numpy()
    hit = summary[mask]
    if hit.empty:
        return "–"
    r = hit.iloc[0]
    return fmt(r[f"{metric}_mean"], r[f"{metric}_std"], int(r["n_runs"]))


def status_lines(sweep: Sweep, runs: pd.DataFrame) -> list[str]:
    counts = runs["status"].value_counts() if not runs.empty else pd.Series(dtype=int)
    done, failed = int(counts.get("done", 0)), int(counts.get("failed", 0))
    incomplete, missing = int(counts.get("incomplete", 0)), len(sweep.missing)
    planned = (
        "unknown (no basic-sweeper multirun.yaml)" if sweep.planned is None else len(sweep.planned)
    )
    lines = [
        f"- runs: **{done} finished**, {failed} failed, {incomplete} started but unfinished, "
        f"{missing} not started; planned by the latest launch (multirun.yaml): {planned}"
    ]
    if failed or incomplete or missing:
        lines.append(
            "- **partial sweep**: numbers below use the finished runs only; see "
            "[What failed](#what-failed) and [What is missing](#what-is-missing)"
        )
    shas = sorted({str(s) for s in runs.get("git_sha", pd.Series(dtype=str)).dropna()})
    if shas:
        lines.append(f"- code: git {', '.join(s[:10] for s in shas)}")
    return lines


def volume_by_noise(summary: pd.DataFrame, metric: str, title: str) -> list[str]:
    """One table per option: rows train size, columns condition."""
    lines = [f"## {title} by volume × noise", ""]
    conditions = sorted(summary["condition"].unique())
    for option in sorted(summary["option"].unique()):
        part = summary[summary["option"] == option]
        lines += [f"### {option}", ""]
        rows = [
            [size_label(size)] + [_cell(part, metric, size=size, condition=c) for c in conditions]
            for size in sorted(part["size"].dropna().unique())
        ]
        lines += [*table(["train images", *conditions], rows), ""]
    return lines


def volume_by_option(
    summary: pd.DataFrame, metric: str, title: str, runs: pd.DataFrame | None = None
) -> list[str]:
    """One table per condition: rows train size, columns option.

    **Bold**: the best mean, ahead of every other option by a resolved paired difference over
    seeds (:mod:`crowdsign.evaluation.scaling.paired`); *italic*: the best mean, not resolved
    against at least one other option. Without ``runs`` (no per-seed values), nothing is marked.
    """
    lines = [f"## {title} by volume × option", ""]
    options = sorted(summary["option"].unique())
    if len(options) < 2:
        return []
    lines += [
        "**Bold**: the best mean, ahead of every other option by a paired difference over the "
        "seeds (95% t interval excludes 0; see *Paired comparisons*); *italic*: best mean, "
        "not resolved.",
        "",
    ]
    for condition in sorted(summary["condition"].unique()):
        part = summary[(summary["condition"] == condition) & (summary["n_runs"] > 0)]
        if part.empty:
            continue
        lines += [f"### {condition}", ""]
        rows = []
        for size in sorted(part["size"].dropna().unique()):
            at = part[part["size"] == size].set_index("option")
            top, ties = _paired_best(runs, metric, condition, size)
            cells = []
            for o in options:
                if o not in at.index:
                    cells.append("–")
                    continue
                r = at.loc[o]
                text = fmt(r[f"{metric}_mean"], r[f"{metric}_std"], int(r["n_runs"]))
                if o == top:
                    text = f"*{text}*" if ties else f"**{text}**"
                cells.append(text)
            rows.append([size_label(size), *cells])
        lines += [*table(["train images", *options], rows), ""]
    return lines


def _paired_best(
    runs: pd.DataFrame | None, metric: str, condition: str, size: float
) -> tuple[str, list[str]]:
    if runs is None or runs.empty:
        return "", []
    cell = runs[(runs["condition"] == condition) & (runs["size"] == size)]
    values = {o: per_seed(g, metric) for o, g in cell.groupby("option")}
    return best_option(values) if len(values) > 1 else ("", [])  # nothing to beat


def paired_lines(paired: pd.DataFrame, metric: str) -> list[str]:
    """Per condition and size: the best option against each other one, paired over seeds."""
    lines = ["## Paired comparisons", ""]
    if paired.empty:
        return lines + ["Fewer than two options per cell: nothing to compare.", ""]
    lines += [
        f"Difference in {metric} of the best option (highest mean) minus each other option, "
        "over the seeds both have (one seed's runs share train subset and crowd answers), "
        "with its 95% t interval; resolved: the interval excludes 0. Every 'A beats B' in "
        "this report is a resolved row here (all pairs: `paired.csv`).",
        "",
    ]
    rows = []
    for (condition, size), cell in paired.groupby(["condition", "size"], sort=True):
        means = cell.groupby("a")["diff"].mean()  # mean of A - others: highest for the best
        top = means.idxmax()
        for _, r in cell[cell["a"] == top].sort_values("b").iterrows():
            rows.append([condition, size_label(size), f"{top} − {r['b']}", fmt_difference(r)])
    return [*lines, *table(["condition", "train images", "best − other", "difference"], rows), ""]


def k_by_method(summary: pd.DataFrame, metric: str, title: str) -> list[str]:
    """Per condition, at the largest size it has: rows k, columns method."""
    lines = [f"## {title} by k × method", ""]
    for condition in sorted(summary["condition"].unique()):
        part = summary[(summary["condition"] == condition) & (summary["n_runs"] > 0)]
        if part.empty:
            continue
        size = part["size"].max()
        part = part[part["size"] == size]
        methods = sorted(part["method"].dropna().unique())
        lines += [f"### {condition}, {size_label(size)} train images", ""]
        rows = [
            [f"{k:g}" if math.isfinite(k) else "–"]
            + [_cell(part, metric, k=k, method=m) for m in methods]
            for k in sorted(part["k"].unique())
        ]
        lines += [*table(["k \\ method", *methods], rows), ""]
    return lines


def fit_lines(
    fits: dict[Hashable, CurveFit], label_noise: dict[Hashable, str], min_size: int = 0
) -> list[str]:
    sizes = f"with at least {min_size:,} images " if min_size else ""
    lines = [
        "## Learning curves: error ≈ a·n^(−b) + c",
        "",
        f"Fitted (relative residuals) on every finished run {sizes}of a curve; ± is the std "
        "over a bootstrap of the seeds, [..] its 95% interval. b: how fast error falls with "
        "data; c: the floor more data of this kind will not go below; rmse in accuracy points; "
        "R²: share of the runs' variance the curve explains.",
        "",
    ]
    rows = []
    for (condition, option), curve in sorted(fits.items()):
        f = curve.fit
        if not math.isfinite(f.b):
            rows.append(
                [condition, option, label_noise.get((condition, option), "–")]
                + ["–"] * 5
                + [f"{curve.n_runs} ({curve.n_seeds})", _failed(curve)]
            )
            continue
        rows.append(
            [
                condition,
                option,
                label_noise.get((condition, option), "–"),
                _estimate(curve, "b", 3),
                _estimate(curve, "c", 4),
                _estimate(curve, "a", 3, interval=False),
                f"{f.rmse:.4f}",
                f"{f.r2:.2f}" + (" (poor fit: not a power law)" if f.r2 < POOR_R2 else ""),
                f"{curve.n_runs} ({curve.n_seeds})",
                _failed(curve),
            ]
        )
    header = ["condition", "option", "label noise", "b", "c", "a", "rmse", "R²", "runs (seeds)"]
    header.append("bootstrap draws failed")
    return [*lines, *table(header, rows), ""]


def _failed(curve: CurveFit) -> str:
    """``3/200``: bootstrap draws with no fit, left out of ± and [..]."""
    return f"{curve.n_boot_failed}/{len(curve.boot)}" if len(curve.boot) else "–"


def _estimate(curve: CurveFit, name: str, digits: int, *, interval: bool = True) -> str:
    """``0.412 ± 0.031 [0.35, 0.47]``: the fit, bootstrap std and 95% interval (if any)."""
    value, std = getattr(curve.fit, name), curve.std(name)
    if not math.isfinite(std):
        text = f"{value:.{digits}f} ± ? (one seed)"
    else:
        text = f"{value:.{digits}f} ± {std:.{digits}f}"
        if interval:
            lo, hi = curve.interval(name)
            text += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
    return text


def tax_lines(tax: pd.DataFrame, reference: Hashable | None, label_noise: dict) -> list[str]:
    lines = ["## Noise tax", ""]
    if reference is None or tax.empty:
        return lines + ["No clean reference curve with a fit: no noise tax.", ""]
    lines += [
        f"Reference (clean) curve: **{reference[0]}, {reference[1]}** (label noise "
        f"{label_noise.get(reference, '–')}). Multiplier: how many of this curve's images give the "
        "accuracy of one clean image (from the two fits; ± over the paired seed bootstrap, (k/R): "
        "the k of R bootstrap draws that gave a multiplier; the others failed and are left out). "
        "Clean labels per bought label: 1 / (multiplier · k). † the matched clean size lies "
        "outside the reference's measured sizes, or n outside this curve's (extrapolated); ‡ "
        "a fit behind it is poor (R² < 0.5): read the tables, not the multiplier.",
        "",
    ]
    sizes = sorted(tax["n"].unique())
    header = ["condition", "option", "label noise"]
    header += [f"multiplier at n={size_label(n)}" for n in sizes]
    header += [f"clean labels per label at n={size_label(n)}" for n in sizes]
    rows = []
    for curve, part in tax.groupby("curve", sort=True):
        part = part.set_index("n")
        mult, worth = [], []
        for n in sizes:
            r = part.loc[n]
            dagger = (" †" if r["extrapolated"] else "") + (" ‡" if r["poor_fit"] else "")
            if math.isfinite(r["multiplier"]):
                spread = (
                    f" ± {r['multiplier_std']:.2f}" if math.isfinite(r["multiplier_std"]) else ""
                )
                draws = r.get("n_boot_draws", r["n_boot"])
                mult.append(f"{r['multiplier']:.2f}{spread} ({r['n_boot']}/{draws}){dagger}")
                worth.append(f"{r['clean_per_noisy_label']:.2f}{dagger}")
            else:
                mult.append("∞ (never reached)")
                worth.append("0")
        rows.append([curve[0], curve[1], label_noise.get(curve, "–"), *mult, *worth])
    return [*lines, *table(header, rows), ""]


def budget_lines(budget: pd.DataFrame, metric: str) -> list[str]:
    lines = [
        "## Fixed budget: more images or more labels per image?",
        "",
        f"{metric} at a fixed labeling budget, interpolated in log cost between measured sizes "
        "of each option (per seed; no extrapolation). Cells: mean ± std (seeds) and the images "
        "the budget buys. Costs from each run's crowd/cost.json.",
        "",
    ]
    if budget.empty:
        return lines + ["No run has a labeling cost (crowd/cost.json): no budget table.", ""]
    options = sorted(budget["option"].unique())
    for basis, part in budget.groupby("basis", sort=False):
        lines += [f"### at {basis}", ""]
        rows = []
        for (condition, amount), group in part.groupby(["condition", "budget"], sort=True):
            by_option = group.set_index("option")
            cells = []
            for o in options:
                if o not in by_option.index:
                    cells.append("–")
                    continue
                r = by_option.loc[o]
                cells.append(f"{fmt(r['mean'], r['std'], int(r['n']))}, {r['images']:,.0f} img")
            rows.append([condition, f"${amount:,.2f}", *cells, str(group["best"].iloc[0])])
        lines += [*table(["condition", "budget", *options, "best"], rows), ""]
    return lines


def runs_per_cell(summary: pd.DataFrame, missing_per_cell: dict) -> list[str]:
    lines = [
        "## Runs per cell",
        "",
        "finished / (finished + failed + unfinished + not started) per condition × option × size.",
        "",
    ]
    sizes = sorted(summary["size"].dropna().unique())
    rows = []
    for (condition, option), part in summary.groupby(["condition", "option"], sort=True):
        by_size = part.set_index("size")
        cells = []
        for s in sizes:
            if s not in by_size.index:
                cells.append("–")
                continue
            r = by_size.loc[s]
            total = r["n_runs"] + r["n_failed"] + r["n_incomplete"]
            total += missing_per_cell.get((condition, option, s), 0)
            cells.append(f"{int(r['n_runs'])}/{int(total)}")
        rows.append([condition, option, *cells])
    return [*lines, *table(["condition", "option", *[size_label(s) for s in sizes]], rows), ""]


def failed_lines(runs: pd.DataFrame) -> list[str]:
    lines = ["## What failed", ""]
    failed = runs[runs["status"] == "failed"] if not runs.empty else runs
    if failed.empty:
        return lines + ["No run failed.", ""]
    lines += [f"{len(failed)} run(s) failed (full traceback in each run's error.json):", ""]
    for _, r in failed.head(MAX_LISTED).iterrows():
        lines.append(f"- `{r['run']}`: {r.get('error_type')}: {r.get('error_message')}")
    if len(failed) > MAX_LISTED:
        lines.append(f"- ... and {len(failed) - MAX_LISTED} more (runs.csv)")
    return lines + [""]


def missing_lines(sweep: Sweep, runs: pd.DataFrame) -> list[str]:
    lines = ["## What is missing", ""]
    incomplete = runs[runs["status"] == "incomplete"] if not runs.empty else runs
    if sweep.planned is None:
        lines += ["The sweep's plan is unknown (no multirun.yaml from the basic sweeper).", ""]
    if sweep.missing.empty and incomplete.empty:
        return lines + ["Nothing: every planned run has a run dir that finished or failed.", ""]
    if not incomplete.empty:
        lines += [
            f"{len(incomplete)} run(s) started but have neither metrics nor an error "
            "(still running, or killed; a re-launch resumes them):",
            "",
        ]
        lines += [f"- `{r}`" for r in incomplete["run"].head(MAX_LISTED)] + [""]
    if not sweep.missing.empty:
        per_cell = sweep.missing.groupby("cell")["seed"].apply(lambda s: sorted(s.astype(str)))
        lines += [
            f"{len(sweep.missing)} planned run(s) in {len(per_cell)} cell(s) never started "
            "(re-launch the same command with `hydra.sweep.dir=<this dir>`; finished runs are "
            "skipped):",
            "",
        ]
        for cell, seeds in per_cell.head(MAX_LISTED).items():
            lines.append(f"- `{cell}`: seed {', '.join(seeds)}")
        if len(per_cell) > MAX_LISTED:
            lines.append(f"- ... and {len(per_cell) - MAX_LISTED} more cells")
        lines.append("")
    return lines
