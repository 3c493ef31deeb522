"""The crowd part of a run's outputs: load summary, worker statistics, cost report.

:func:`write_crowd_reports` writes them into ``<run>/crowd`` and returns their Markdown for
TensorBoard's text tab.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.cost import CostModel, as_cost_model, price
from crowdsign.markdown import table

TOP_WORKERS = 20  # rows of the Markdown worker table (the CSV has all)


def worker_stats(crowd: CrowdLabels, truth: pd.Series | None = None) -> pd.DataFrame:
    """One row per worker (most active first).

    Columns: ``answers``, ``share`` (of all answers), ``median_seconds`` and ``rejected`` when
    known, ``accuracy`` (agreement with ``truth`` on answered tasks that have one) when truth
    is given, and the simulated ``type`` / ``true_accuracy`` when the source knows them.
    """
    a = crowd.answers
    g = a.groupby("worker", sort=False)
    out = pd.DataFrame({"answers": g.size()})
    out["share"] = out["answers"] / max(len(a), 1)
    if "seconds" in a.columns:
        out["median_seconds"] = g["seconds"].median()
    if "status" in a.columns:
        out["rejected"] = (a["status"] == "rejected").groupby(a["worker"], sort=False).sum()
    if truth is not None:
        t = truth.reindex(a["task"]).to_numpy()
        known = pd.notna(t)
        right = pd.Series((a["label"].to_numpy() == t) & known, index=a.index)
        n = pd.Series(known, index=a.index).groupby(a["worker"], sort=False).sum()
        out["accuracy"] = right.groupby(a["worker"], sort=False).sum() / n.where(n > 0)
    if crowd.workers is not None:
        facts = crowd.workers.rename(columns={"accuracy": "true_accuracy"})
        out = out.join(facts[[c for c in ("type", "true_accuracy") if c in facts.columns]])
    out.index.name = "worker"
    return out.sort_values("answers", ascending=False, kind="stable")


def _table(df: pd.DataFrame, floats: str = "{:.3f}") -> str:
    """A small DataFrame as a Markdown table (no tabulate dependency)."""
    cols = [df.index.name or ""] + [str(c) for c in df.columns]
    rows = [
        [
            floats.format(v) if isinstance(v, float | np.floating) and np.isfinite(v) else str(v)
            for v in row
        ]
        for row in df.itertuples(name=None)
    ]
    return "\n".join(table(cols, rows, align="l" * len(cols)))


def workers_markdown(stats: pd.DataFrame, total_answers: int) -> str:
    """Worker statistics: by simulated type (when known), then the most active workers."""
    lines = [f"# Crowd workers ({len(stats)} workers, {total_answers} answers)", ""]
    top = stats["share"].head(max(1, len(stats) // 10)).sum()
    lines.append(f"The most active 10% of workers gave {top:.0%} of the answers.")
    if "type" in stats.columns:
        g = stats.groupby("type")
        by = pd.DataFrame({"workers": g.size(), "answers": g["answers"].sum()})
        weights = stats["answers"]
        for col in ("accuracy", "true_accuracy"):
            if col in stats.columns:
                num = (stats[col] * weights).groupby(stats["type"]).sum()
                by[col] = num / weights.groupby(stats["type"]).sum()
        lines += ["", "## By worker type (answer-weighted)", "", _table(by)]
    lines += ["", f"## Top {min(TOP_WORKERS, len(stats))} workers", ""]
    lines.append(_table(stats.head(TOP_WORKERS)))
    return "\n".join(lines) + "\n"


def write_crowd_reports(
    crowd: CrowdLabels,
    out_dir: Path,
    *,
    truth: pd.Series | None = None,
    cost: CostModel | Any | None = None,
) -> dict[str, str]:
    """Write ``load_summary``, ``workers`` and ``cost`` (``.json``/``.csv`` and ``.md``).

    Args:
        crowd: what the crowd source returned.
        out_dir: the run's ``crowd/`` folder (created).
        truth: true label name per task (index task), for accuracies and cost per correct label.
        cost: the pricing; ``None`` uses ``crowd.cost`` (the crowd config's ``cost`` node), and
            failing that :class:`~crowdsign.crowd.cost.CostModel` defaults.

    Returns:
        ``{"load_summary": md, "workers": md, "cost": md}`` for TensorBoard text.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = as_cost_model(cost if cost is not None else crowd.cost)
    texts = {"load_summary": crowd.summary.to_markdown()}
    _json(out_dir / "load_summary.json", crowd.summary.to_dict())

    stats = worker_stats(crowd, truth)
    stats.to_csv(out_dir / "workers.csv")
    texts["workers"] = workers_markdown(stats, len(crowd.answers))

    report = price(crowd.answers, model, truth=truth)
    _json(out_dir / "cost.json", {"model": vars(model), "report": report.to_dict()})
    texts["cost"] = report.to_markdown()
    for name, md in texts.items():
        (out_dir / f"{name}.md").write_text(md, encoding="utf-8")
    return texts


def _json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, default=str) + "\n", encoding="utf-8")
