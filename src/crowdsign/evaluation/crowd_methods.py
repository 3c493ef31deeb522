"""A crowd-methods benchmark over a sweep: test score mean ± std per ``robust`` option.

``python evaluate.py report=crowd_methods sweep_dir=<multirun dir>`` reads every run dir of a
``train.py -m`` sweep whose axis is the ``robust`` group (``clean`` = the source's true labels,
``none`` = majority vote, then the methods) and writes ``<sweep_dir>/report/crowd_methods.{csv,md}``:
per method the runs, seeds, test metric mean ± std (sample std over seeds), minutes per run,
and the share of the vote → true-label gap it closes, ``(method - vote) / (clean - vote)``,
and the difference from the vote paired by seed (runs of one seed share the crowd and the
model's seed) with its 95% t interval: "resolved" when the interval excludes 0.
Published numbers given in the config are printed beside, marked as another backbone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from crowdsign.evaluation.scaling.paired import paired_difference, per_seed
from crowdsign.runtime.run_dir import RunDir

log = logging.getLogger(__name__)


def collect_methods(sweep_dir: str | Path, metric: str) -> pd.DataFrame:
    """One row per run dir: ``method`` (the robust choice), ``crowd``, ``seed``, ``status``,
    ``metric`` and ``time/total_s``."""
    root = Path(sweep_dir)
    rows = []
    for hydra_yaml in sorted(root.rglob(".hydra/hydra.yaml")):
        run = RunDir(hydra_yaml.parent.parent)
        choices = run.hydra_choices()
        cfg = run.read_yaml("config.yaml") or {}
        row: dict[str, Any] = {
            "run": str(run.root.relative_to(root)),
            "method": choices.get("robust") or "none",
            "crowd": choices.get("crowd"),
            "seed": cfg.get("seed"),
            "status": "incomplete",
        }
        stored = run.read_metrics()
        if stored is not None:
            stored = stored.get("metrics", {})
            row.update(status="done", **{k: stored.get(k) for k in (metric, "time/total_s")})
        elif run.error.is_file():
            row["status"] = "failed"
        rows.append(row)
    if not rows:
        raise ValueError(f"{root}: no run dirs (.hydra/hydra.yaml) under it; is it a sweep dir?")
    return pd.DataFrame(rows)


def summarize(
    runs: pd.DataFrame, metric: str, *, reference: str = "clean", baseline: str = "none"
) -> pd.DataFrame:
    """Per method: ``n``, ``seeds``, ``mean``, ``std``, ``minutes``, ``gap_closed``."""
    done = runs[runs["status"] == "done"].dropna(subset=[metric])
    out = done.groupby("method").agg(
        n=(metric, "size"),
        seeds=("seed", lambda s: ",".join(str(int(v)) for v in sorted(s))),
        mean=(metric, "mean"),
        std=(metric, "std"),
        minutes=("time/total_s", lambda s: float(np.mean(s)) / 60),
    )
    ref = out["mean"].get(reference, np.nan)
    base = out["mean"].get(baseline, np.nan)
    out["gap_closed"] = (out["mean"] - base) / (ref - base) if ref != base else np.nan
    out["vs_vote"] = out["mean"] - base
    # apart from the vote beyond one std of both: mean - std above the vote's mean + std
    base_std = out["std"].get(baseline, np.nan)
    out["beyond_std"] = (out["mean"] - out["std"]) > (base + base_std)
    out = out.join(_paired_vs(done, metric, baseline))
    return out.reset_index()


def _paired_vs(done: pd.DataFrame, metric: str, baseline: str) -> pd.DataFrame:
    """Per method: ``method - baseline`` over the seeds both have (mean, 95% t interval, n)."""
    by_method = {m: per_seed(g, metric) for m, g in done.groupby("method")}
    if baseline not in by_method:
        return pd.DataFrame(columns=["paired", "paired_lo", "paired_hi", "paired_n", "resolved"])
    rows = {}
    for method, values in by_method.items():
        d = paired_difference(values, by_method[baseline])
        rows[method] = {"paired": d["diff"], "paired_lo": d["lo"], "paired_hi": d["hi"],
                        "paired_n": d["n"], "resolved": bool(d["resolved"])}  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index")


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _percent(x: float) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.0f}%"


def _points(x: float, beyond: bool) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:+.1f}{'*' if beyond else ''}"


def _paired_cell(r: Any) -> str:
    if not np.isfinite(getattr(r, "paired_lo", np.nan)):
        return "–"
    verdict = "resolved" if r.resolved else "not resolved"
    return (
        f"{100 * r.paired:+.1f} [{100 * r.paired_lo:+.1f}, {100 * r.paired_hi:+.1f}] "
        f"({r.paired_n} seeds, {verdict})"
    )


def to_markdown(
    summary: pd.DataFrame,
    runs: pd.DataFrame,
    metric: str,
    published: Mapping[str, float],
    published_note: str,
) -> str:
    lines = [
        f"# Crowd methods: {metric}, mean ± std over seeds",
        "",
        f"{int((runs['status'] == 'done').sum())} runs done, "
        f"{int((runs['status'] == 'failed').sum())} failed, "
        f"{int((runs['status'] == 'incomplete').sum())} incomplete.",
        "",
        "| method | runs | seeds | mean ± std | gap closed | min/run | published* | vs vote "
        "| vs vote, paired by seed (95% t) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in summary.itertuples():
        pub = published.get(r.method)
        lines.append(
            f"| {r.method} | {r.n} | {r.seeds} | {_fmt(r.mean)} ± {_fmt(r.std)} | "
            f"{_percent(r.gap_closed)} | {_fmt(r.minutes, 1)} | "
            f"{'–' if pub is None else _fmt(pub)} | {_points(r.vs_vote, r.beyond_std)} | "
            f"{_paired_cell(r)} |"
        )
    lines += [
        "",
        "gap closed = (method − vote) / (clean − vote): `clean` trains on the true labels, "
        "`none` on the majority vote. vs vote: the difference in points, * where the two are "
        "apart by more than one std of each (mean − std above the vote's mean + std). Paired: "
        "the per-seed difference in points, its mean and 95% t interval over the seeds both "
        "have; resolved when the interval excludes 0.",
    ]
    if published:
        lines.append(f"*published: {published_note} (a different backbone; compare ranks only)")
    return "\n".join(lines) + "\n"


def crowd_methods_report(
    cfg: DictConfig,
    *,
    metric: str = "test/accuracy",
    reference: str = "clean",
    baseline: str = "none",
    published: Mapping[str, float] | None = None,
    published_note: str = "",
    out_dir: str | None = None,
) -> dict[str, float]:
    """The report over ``cfg.sweep_dir`` (the ``report`` group's partial); returns per-method
    means as ``<method>/mean``."""
    if not cfg.get("sweep_dir"):
        raise ValueError("report=crowd_methods needs sweep_dir=<a multirun dir of train.py -m>")
    runs = collect_methods(cfg.sweep_dir, metric)
    summary = summarize(runs, metric, reference=reference, baseline=baseline)
    out = Path(out_dir) if out_dir else Path(cfg.sweep_dir) / "report"
    out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out / "crowd_methods_runs.csv", index=False)
    summary.to_csv(out / "crowd_methods.csv", index=False)
    text = to_markdown(summary, runs, metric, dict(published or {}), published_note)
    (out / "crowd_methods.md").write_text(text)
    print(text)
    log.info("wrote %s", out / "crowd_methods.md")
    return {f"{m}/mean": float(v) for m, v in zip(summary["method"], summary["mean"], strict=True)}
