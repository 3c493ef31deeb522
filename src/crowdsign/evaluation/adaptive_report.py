"""Report of ``experiment=adaptive``: model test accuracy and label accuracy against dollars.

    python -m crowdsign.evaluation.adaptive_report multirun/adaptive/<time>

Reads every run dir of the sweep (``metrics.json`` and ``acquire/acquire.json``) and writes
``<sweep_dir>/report/``: ``adaptive_runs.csv`` (one row per run), ``adaptive.csv`` (mean, std and
run count per strategy × budget), ``adaptive.md`` (the table, and per budget whether adaptive
is at least as accurate as uniform: "better" only beyond one std of the difference) and
``adaptive.png`` (test and label accuracy against dollars at the platform's pay and at the fair
wage, mean ± std over seeds).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from crowdsign.runtime.run_dir import RunDir  # noqa: E402

NAMES = {"AdaptiveStrategy": "adaptive", "UniformStrategy": "uniform"}
VALUES = [
    "answers_per_task",
    "cost",
    "fair_cost",
    "label_accuracy",
    "test_accuracy",
    "test_bal_acc",
]


def collect(sweep: Path) -> pd.DataFrame:
    """One row per finished run of the sweep."""
    rows = []
    for facts_path in sorted(sweep.glob("**/acquire/acquire.json")):
        run = RunDir(facts_path.parent.parent)
        metrics = run.read_metrics()
        if metrics is None:
            continue
        facts = json.loads(facts_path.read_text())
        metrics = metrics.get("metrics", metrics)
        cfg = run.read_yaml("config.yaml")
        rows.append(
            {
                "strategy": NAMES.get(facts["strategy"], facts["strategy"]),
                "budget": facts["answers_per_task_budget"],
                "seed": cfg["seed"],
                "answers": facts["answers"],
                "answers_per_task": facts["answers_per_task"],
                "cost": facts["cost"],
                "fair_cost": facts["fair_cost"],
                "label_accuracy": facts["label_accuracy"],
                "test_accuracy": metrics["test/accuracy"],
                "test_bal_acc": metrics["test/balanced_accuracy"],
                "run": str(run.relative_to(sweep)),
            }
        )
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    g = runs.groupby(["strategy", "budget"])[VALUES]
    out = g.mean().join(g.std(ddof=1).add_suffix("_std")).join(g.size().rename("runs"))
    return out.reset_index()


def verdicts(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per budget: adaptive − uniform (mean), the std of that difference, and the verdict."""
    s = summary.set_index(["strategy", "budget"])
    rows = []
    for budget in sorted(summary["budget"].unique()):
        if ("adaptive", budget) not in s.index or ("uniform", budget) not in s.index:
            continue
        a, u = s.loc[("adaptive", budget)], s.loc[("uniform", budget)]
        diff = a[metric] - u[metric]
        spread = float(np.hypot(a[f"{metric}_std"], u[f"{metric}_std"]))
        verdict = "better" if diff > spread else "worse" if diff < -spread else "within one std"
        rows.append({"budget": budget, "difference": diff, "std": spread, "verdict": verdict})
    return pd.DataFrame(rows)


def _cell(mean: float, std: float) -> str:
    return f"{mean:.4f} ± {0.0 if np.isnan(std) else std:.4f}"


def markdown(summary: pd.DataFrame) -> str:
    lines = [
        "# Adaptive vs uniform labeling, trained models",
        "",
        "| strategy | budget (answers / image) | answers / image | cost | fair-wage cost "
        "| label accuracy | test accuracy | test balanced accuracy | runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary.sort_values(["budget", "strategy"]).itertuples():
        lines.append(
            f"| {r.strategy} | {r.budget:g} | {r.answers_per_task:.2f} | ${r.cost:.2f} | "
            f"${r.fair_cost:.2f} | {_cell(r.label_accuracy, r.label_accuracy_std)} | "
            f"{_cell(r.test_accuracy, r.test_accuracy_std)} | "
            f"{_cell(r.test_bal_acc, r.test_bal_acc_std)} | {r.runs} |"
        )
    for metric in ("test_accuracy", "label_accuracy"):
        v = verdicts(summary, metric)
        if v.empty:
            continue
        lines += ["", f"Adaptive − uniform, {metric} (std: of the difference, from both std):", ""]
        lines += ["| budget | difference | std | verdict |", "|---:|---:|---:|---|"]
        lines += [
            f"| {r.budget:g} | {r.difference:+.4f} | {r.std:.4f} | {r.verdict} |"
            for r in v.itertuples()
        ]
    return "\n".join(lines) + "\n"


def figure(summary: pd.DataFrame, path: Path) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharey="row")
    for name, part in summary.groupby("strategy"):
        part = part.sort_values("budget")
        for row, metric in enumerate(("test_accuracy", "label_accuracy")):
            for col, x in enumerate(("cost", "fair_cost")):
                ax = axes[row][col]
                m, s = part[metric].to_numpy(), part[f"{metric}_std"].fillna(0).to_numpy()
                ax.errorbar(part[x], m, yerr=s, marker="o", capsize=3, label=name)
    for col, x in enumerate(("at the platform's pay ($)", "at the fair wage ($)")):
        axes[1][col].set_xlabel(f"cost of the answers {x}")
    axes[0][0].set_ylabel("model test accuracy")
    axes[1][0].set_ylabel("label accuracy vs truth")
    axes[0][0].legend()
    fig.suptitle("adaptive vs uniform: mean ± std over seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(sweep: Path) -> Path:
    runs = collect(sweep)
    if runs.empty:
        raise SystemExit(f"{sweep}: no finished run with acquire/acquire.json")
    out = sweep / "report"
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(runs)
    runs.to_csv(out / "adaptive_runs.csv", index=False)
    summary.to_csv(out / "adaptive.csv", index=False)
    (out / "adaptive.md").write_text(markdown(summary), encoding="utf-8")
    figure(summary, out / "adaptive.png")
    return out


if __name__ == "__main__":
    print(report(Path(sys.argv[1])))
