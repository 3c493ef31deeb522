"""``python evaluate.py report=scaling sweep_dir=<multirun dir>``: the scaling study's report.

Writes to ``<sweep_dir>/report/``: ``runs.csv`` (one row per run), ``summary.csv`` (mean ± std
over seeds per cell), ``fits.csv``, ``noise_tax.csv``, ``budget.csv``, ``report.md``, three
PNG figures and ``tb/`` (TensorBoard's HParams view over the sweep). A partial sweep (runs
still going, failed or never started) gives a partial report that says what is missing.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from crowdsign.errors import ConfigError
from crowdsign.evaluation.scaling import markdown as md
from crowdsign.evaluation.scaling.budget import budget_table
from crowdsign.evaluation.scaling.collect import Sweep, collect
from crowdsign.evaluation.scaling.fit import CurveFit, fit_curves, noise_tax_table
from crowdsign.evaluation.scaling.paired import paired_table
from crowdsign.evaluation.scaling.plots import plot_cost, plot_heatmap, plot_learning_curves
from crowdsign.evaluation.scaling.summary import CELL, add_labels, fmt, summarize
from crowdsign.runtime.tensorboard import RunLogger

log = logging.getLogger(__name__)
CURVE = ["condition", "option"]


def scaling_report(
    cfg: DictConfig,
    *,
    metric: str = "test/accuracy",
    bootstrap: int = 200,
    fit_min_size: int = 0,
    clean_max_noise: float = 0.01,
    budgets: list[float] | None = None,
    seed: int = 0,
    out_dir: str | None = None,
) -> dict[str, float]:
    """The report over ``cfg.sweep_dir`` (the ``report`` group's partial; see module doc)."""
    if not cfg.get("sweep_dir"):
        raise ConfigError("report=scaling needs sweep_dir=<a multirun dir of train.py -m>")
    sweep = collect(cfg.sweep_dir)
    out = Path(out_dir) if out_dir else sweep.root / "report"
    headline = write_scaling_report(
        sweep,
        out,
        metric=metric,
        n_boot=bootstrap,
        fit_min_size=fit_min_size,
        clean_max_noise=clean_max_noise,
        budgets=None if budgets is None else [float(b) for b in budgets],
        seed=seed,
    )
    print((out / "report.md").read_text())
    print(f"scaling report: {out}/report.md")
    return headline


def write_scaling_report(
    sweep: Sweep,
    out: Path,
    *,
    metric: str = "test/accuracy",
    n_boot: int = 200,
    fit_min_size: int = 0,
    clean_max_noise: float = 0.01,
    budgets: list[float] | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Write every report file of ``sweep`` into ``out``; return headline numbers."""
    out.mkdir(parents=True, exist_ok=True)
    runs = add_labels(sweep.runs)
    runs.drop(columns=["overrides"], errors="ignore").to_csv(out / "runs.csv", index=False)
    summary = summarize(runs)
    summary.to_csv(out / "summary.csv", index=False)
    done = runs[(runs["status"] == "done") & runs["size"].notna()] if not runs.empty else runs
    tables = _Tables(metric=metric, fit_min_size=fit_min_size)
    if not done.empty:
        tables.fit(done, n_boot=n_boot, seed=seed, clean_max_noise=clean_max_noise)
    tables.paired = paired_table(done, metric) if not done.empty else paired_table(runs, metric)
    if not done.empty:
        tables.budget = budget_table(
            done, condition=["condition"], option=["option"], metric=metric, budgets=budgets
        )
    tables.write_csv(out)
    figures = _figures(summary, tables, out)
    write_hparams(done, out / "tb")
    lines = _report_lines(sweep, runs, summary, done, tables)
    if figures:
        lines += ["## Figures", ""] + [f"![{p.stem}]({p.name})" for p in figures] + [""]
    (out / "report.md").write_text("\n".join(lines))

    counts = runs["status"].value_counts() if not runs.empty else pd.Series(dtype=int)
    headline = {
        "runs/done": float(counts.get("done", 0)),
        "runs/failed": float(counts.get("failed", 0)),
        "runs/incomplete": float(counts.get("incomplete", 0)),
        "runs/missing": float(len(sweep.missing)),
    }
    if not done.empty:
        headline[f"best/{metric}"] = float(summary[f"{metric}_mean"].max())
    log.info("scaling report: %s", out / "report.md")
    return headline


@dataclass
class _Tables:
    """The report's computed tables (empty until computed)."""

    metric: str
    fit_min_size: int
    fits: dict[Hashable, CurveFit] = field(default_factory=dict)
    tax: pd.DataFrame = field(default_factory=pd.DataFrame)
    reference: Hashable | None = None
    noise_of: dict[Hashable, str] = field(default_factory=dict)
    paired: pd.DataFrame = field(default_factory=pd.DataFrame)
    budget: pd.DataFrame = field(default_factory=pd.DataFrame)

    def fit(self, done: pd.DataFrame, *, n_boot: int, seed: int, clean_max_noise: float) -> None:
        """Learning curves per condition and the noise tax against the cleanest curve."""
        self.fits = fit_curves(
            done, CURVE, metric=self.metric, n_boot=n_boot, seed=seed, min_size=self.fit_min_size
        )
        self.noise_of = _label_noise(done)
        self.reference = clean_reference(done, self.fits, clean_max_noise)
        if self.reference is not None:
            sizes = sorted(done["size"].unique())
            at = sorted({sizes[len(sizes) // 2], sizes[-1]})
            k_of = {key: _first_k(group) for key, group in done.groupby(CURVE)}
            self.tax = noise_tax_table(self.fits, self.reference, at, k_of)

    def write_csv(self, out: Path) -> None:
        self.paired.to_csv(out / "paired.csv", index=False)
        _fits_frame(self.fits).to_csv(out / "fits.csv", index=False)
        _tax_frame(self.tax).to_csv(out / "noise_tax.csv", index=False)
        self.budget.to_csv(out / "budget.csv", index=False)


def _figures(summary: pd.DataFrame, tables: _Tables, out: Path) -> list[Path]:
    if summary.empty or not (summary["n_runs"] > 0).any():
        return []
    plotted, metric = summary[summary["n_runs"] > 0], tables.metric
    return [
        plot_learning_curves(plotted, tables.fits, metric, out / "learning_curves.png"),
        plot_heatmap(plotted, metric, out / "heatmap.png"),
        plot_cost(plotted, metric, out / "cost.png"),
    ]


def _report_lines(
    sweep: Sweep, runs: pd.DataFrame, summary: pd.DataFrame, done: pd.DataFrame, tables: _Tables
) -> list[str]:
    metric = tables.metric
    # the sweep dir by name only: a committed report must not carry a machine's paths
    lines = [f"# Scaling study: {sweep.root.name}", ""]
    lines += md.status_lines(sweep, runs)
    lines += [
        f"- y: {metric} on the test split against truth; error = 1 − {metric}",
        "- every number: mean ± std over seeds (runs that went in)",
        "",
    ]
    if not summary.empty:
        title = "Test accuracy" if metric == "test/accuracy" else metric
        lines += md.volume_by_noise(summary, metric, title)
        lines += md.volume_by_noise(summary, "test/stop_recall", "Stop-sign recall")
        lines += md.volume_by_option(summary, metric, title, done)
        lines += md.k_by_method(summary, metric, title)
    lines += md.paired_lines(tables.paired, metric)
    lines += md.fit_lines(tables.fits, tables.noise_of, tables.fit_min_size)
    lines += md.tax_lines(tables.tax, tables.reference, tables.noise_of)
    lines += md.budget_lines(tables.budget, metric)
    lines += md.runs_per_cell(summary, _missing_per_cell(sweep, runs)) if not summary.empty else []
    lines += md.failed_lines(runs)
    lines += md.missing_lines(sweep, runs)
    return lines


def clean_reference(
    done: pd.DataFrame, fits: dict[Hashable, CurveFit], clean_max_noise: float
) -> Hashable | None:
    """The noise tax's reference curve: the least noisy curve with a fit, cheapest k first,
    then the plain recipe (an option without a ``/<robust>`` suffix) before robust ones.

    Clean means mean measured ``train/label_noise`` ≤ ``clean_max_noise``; if no curve is that
    clean, the least noisy one is used (and named in the report).
    """
    stats = done.groupby(CURVE).agg(noise=("train/label_noise", "mean"), k=("k", "first"))
    stats["runs"] = done.groupby(CURVE).size()
    stats = stats[[math.isfinite(fits[i].fit.b) for i in stats.index]]
    if stats.empty:
        return None
    stats["clean"] = stats["noise"].fillna(np.inf) <= clean_max_noise
    stats["robust"] = ["/" in str(option) for _, option in stats.index]
    order = ["clean", "noise", "k", "robust", "runs"]
    stats = stats.sort_values(order, ascending=[False, True, True, True, False])
    return stats.index[0]


def _first_k(group: pd.DataFrame) -> float:
    k = float(group["k"].iloc[0]) if "k" in group else math.nan
    return k if math.isfinite(k) and k > 0 else 1.0


def _label_noise(done: pd.DataFrame) -> dict[Hashable, str]:
    """Measured target noise vs truth per curve (all its runs), formatted."""
    out = {}
    for key, group in done.groupby(CURVE):
        x = group["train/label_noise"].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        out[key] = (
            fmt(float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else math.nan, x.size)
            if x.size
            else "–"
        )
    return out


def _fits_frame(fits: dict[Hashable, CurveFit]) -> pd.DataFrame:
    rows = []
    for (condition, option), curve in sorted(fits.items()):
        row = {
            "condition": condition,
            "option": option,
            "n_runs": curve.n_runs,
            "n_seeds": curve.n_seeds,
            "n_boot": len(curve.boot),
            "n_boot_failed": curve.n_boot_failed,
        }
        for name in "abc":
            row[name] = getattr(curve.fit, name)
            row[f"{name}_std"] = curve.std(name)
            row[f"{name}_lo"], row[f"{name}_hi"] = curve.interval(name)
        row["rmse"], row["r2"] = curve.fit.rmse, curve.fit.r2
        rows.append(row)
    return pd.DataFrame(rows)


def _tax_frame(tax: pd.DataFrame) -> pd.DataFrame:
    """The noise tax with its curve key as ``condition`` and ``option`` columns."""
    if tax.empty:
        return tax
    keys = pd.DataFrame(tax["curve"].tolist(), columns=CURVE, index=tax.index)
    return pd.concat([keys, tax.drop(columns="curve")], axis=1)


def _missing_per_cell(sweep: Sweep, runs: pd.DataFrame) -> dict[tuple, int]:
    """Never-started runs counted against the (condition, option, size) of their cell."""
    if sweep.missing.empty or runs.empty:
        return {}
    key_of = {r["cell"]: tuple(r[c] for c in CELL) for _, r in runs.iterrows()}
    counts: dict[tuple, int] = {}
    for cell in sweep.missing["cell"]:
        if cell in key_of:
            counts[key_of[cell]] = counts.get(key_of[cell], 0) + 1
    return counts


def write_hparams(done: pd.DataFrame, tb_dir: Path) -> None:
    """One TensorBoard HParams entry per finished run: its axes and its test metrics.

    ``tb_dir`` is rewritten from scratch, so a re-run report does not list runs twice.
    """
    shutil.rmtree(tb_dir, ignore_errors=True)
    axes = ["size", "crowd", "noise", "k", "method", "variant", "seed"]
    metrics = [
        "test/accuracy",
        "test/balanced_accuracy",
        "test/stop_recall",
        "train/label_noise",
        "cost",
    ]
    for i, (_, r) in enumerate(done.iterrows()):
        hparams = {a: _scalar(r.get(a)) for a in axes if a in r}
        values = {m: float(r[m]) for m in metrics if m in r and math.isfinite(float(r[m]))}
        logger = RunLogger(tb_dir / f"run{i:05d}")
        try:
            logger.hparams(hparams, values)
        finally:
            logger.close()


def _scalar(x: object) -> int | float | str:
    if isinstance(x, bool | int | str):
        return x
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else "none"
    return "none" if x is None else str(x)
