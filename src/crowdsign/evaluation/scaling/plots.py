"""The scaling report's figures (PNG, matplotlib without pyplot's global state).

- ``learning_curves.png``: metric vs train size (log axis), one panel per option, one line per
  condition with a ±1 std band over seeds and the fitted power law dashed;
- ``heatmap.png``: mean metric over size × condition, one panel per option;
- ``cost.png``: metric vs labeling cost (log axis), one panel per condition and pay basis, one
  line per option.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from crowdsign.evaluation.scaling.fit import CurveFit
from crowdsign.evaluation.scaling.summary import size_label


def _grid(n: int, width: float = 4.2, height: float = 3.4) -> tuple[Figure, list]:
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    # + room for the legend outside the panels, so a one-panel figure keeps its title whole
    fig = Figure(figsize=(width * cols + 2.2, height * rows), dpi=110, layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _band(ax, x: np.ndarray, mean: np.ndarray, std: np.ndarray, label: str, colour) -> None:
    order = np.argsort(x)
    x, mean, std = x[order], mean[order], np.nan_to_num(std[order])
    ax.plot(x, mean, "o-", color=colour, label=label, lw=1.5, ms=3)
    ax.fill_between(x, mean - std, mean + std, color=colour, alpha=0.18, lw=0)


def plot_learning_curves(
    summary: pd.DataFrame, fits: dict[Hashable, CurveFit], metric: str, path: Path
) -> Path:
    """Metric vs size per option, a line and seed band per condition, fits dashed."""
    options = sorted(summary["option"].unique())
    conditions = sorted(summary["condition"].unique())
    colours = {c: f"C{i % 10}" for i, c in enumerate(conditions)}
    fig, axes = _grid(len(options))
    for ax, option in zip(axes, options, strict=True):
        for condition, cell in summary[summary["option"] == option].groupby("condition"):
            cell = cell[cell["n_runs"] > 0]
            if cell.empty:
                continue
            x = cell["size"].to_numpy(dtype=float)
            _band(
                ax,
                x,
                cell[f"{metric}_mean"].to_numpy(dtype=float),
                cell[f"{metric}_std"].to_numpy(dtype=float),
                str(condition),
                colours[condition],
            )
            curve = fits.get((condition, option))
            if curve is not None and math.isfinite(curve.fit.b):  # over the fitted sizes only
                xs = np.geomspace(min(curve.sizes), max(curve.sizes), 64)
                ax.plot(xs, 1 - curve.fit.error(xs), "--", color=colours[condition], lw=1)
        ax.set_xscale("log", base=2)
        ax.set_title(option)
        ax.set_xlabel("train images (log)")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=colours[c], marker="o", ms=3, label=c) for c in conditions]
    handles.append(Line2D([], [], color="grey", ls="--", label="fit a·n^(−b) + c"))
    fig.legend(handles=handles, loc="outside right center", fontsize=8, title="condition")
    fig.suptitle(f"{metric} vs train size (band: ±1 std over seeds)")
    fig.savefig(path)
    return path


def plot_heatmap(summary: pd.DataFrame, metric: str, path: Path) -> Path:
    """Mean ``metric`` over size × condition, one panel per option (same axes in every panel)."""
    options = sorted(summary["option"].unique())
    conditions = sorted(summary["condition"].unique())
    sizes = sorted(summary["size"].dropna().unique())
    cols = min(len(options), 2)
    rows = math.ceil(len(options) / cols)
    width, height = 2.0 + 0.7 * len(sizes), 1.4 + 0.45 * len(conditions)
    fig = Figure(figsize=(width * cols, height * rows), dpi=110, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[len(options) :]:
        ax.set_visible(False)
    low = float(np.nanmin(summary[f"{metric}_mean"]))
    for ax, option in zip(axes, options, strict=False):
        table = (
            summary[summary["option"] == option]
            .pivot_table(index="condition", columns="size", values=f"{metric}_mean")
            .reindex(index=conditions, columns=sizes)
        )
        values = table.to_numpy(dtype=float)
        ax.imshow(values, cmap="viridis", vmin=low, vmax=1.0, aspect="auto")
        ax.set_xticks(range(len(sizes)), [size_label(s) for s in sizes], rotation=45)
        ax.set_yticks(range(len(conditions)), conditions)
        for (i, j), v in np.ndenumerate(values):
            if math.isfinite(v):
                colour = "black" if v > low + 0.7 * (1.0 - low) else "white"
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color=colour)
        ax.set_title(option)
        ax.set_xlabel("train images")
    fig.suptitle(f"mean {metric}: size × noise")
    fig.savefig(path)
    return path


def plot_cost(summary: pd.DataFrame, metric: str, path: Path) -> Path:
    """Metric vs labeling cost per condition (columns) and pay basis (rows), line per option."""
    conditions = sorted(summary["condition"].unique())
    bases = [("cost", "platform pay"), ("fair_cost", "fair wage")]
    cols = max(len(conditions), 1)
    fig = Figure(figsize=(4.2 * cols, 3.4 * 2), dpi=110, layout="constrained")
    axes = fig.subplots(2, cols, squeeze=False)
    options = sorted(summary["option"].unique())
    colours = {o: f"C{i % 10}" for i, o in enumerate(options)}
    for j, condition in enumerate(conditions):
        for i, (cost, basis) in enumerate(bases):
            ax = axes[i][j]
            for option, cell in summary[summary["condition"] == condition].groupby("option"):
                cell = cell[(cell["n_runs"] > 0) & (cell[f"{cost}_mean"] > 0)]
                if not cell.empty:
                    _band(
                        ax,
                        cell[f"{cost}_mean"].to_numpy(dtype=float),
                        cell[f"{metric}_mean"].to_numpy(dtype=float),
                        cell[f"{metric}_std"].to_numpy(dtype=float),
                        str(option),
                        colours[option],
                    )
            ax.set_xscale("log")
            ax.set_title(f"{condition} — {basis}", fontsize=9)
            ax.set_xlabel("labeling cost ($, log)")
            ax.set_ylabel(metric)
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{metric} vs labeling cost")
    fig.savefig(path)
    return path
