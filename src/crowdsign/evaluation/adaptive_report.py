"""Report of ``experiment=adaptive``: model test accuracy and label accuracy against dollars.

    python -m crowdsign.evaluation.adaptive_report multirun/adaptive/<time>

Reads every run dir of the sweep (``metrics.json`` and ``acquire/acquire.json``) and writes
``<sweep_dir>/report/``: ``adaptive_runs.csv`` (one row per run), ``adaptive.csv`` (mean, std and
run count per strategy × budget), ``adaptive.md`` (the table, and per budget adaptive − uniform
paired by seed — runs of one seed share the market of answers and the model's seed — with the
std over seeds and a 95% t interval: "better"/"worse" only when the interval excludes 0, and
whether the mean difference is beyond one std of the paired differences) and
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

from crowdsign.errors import MissingInputError, exit_on_user_error  # noqa: E402
from crowdsign.evaluation.scaling.paired import paired_difference, per_seed  # noqa: E402
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
                "run": str(run.root.relative_to(sweep)),
            }
        )
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    g = runs.groupby(["strategy", "budget"])[VALUES]
    out = g.mean().join(g.std(ddof=1).add_suffix("_std")).join(g.size().rename("runs"))
    return out.reset_index()


def verdicts(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per budget: adaptive − uniform paired by seed, its std over seeds, 95% t interval, verdict.

    ``verdict`` is "better"/"worse" when the interval excludes 0, else "not resolved";
    ``beyond_std`` says whether the mean difference is larger than one std of the differences.
    """
    rows = []
    for budget in sorted(runs["budget"].unique()):
        at = runs[runs["budget"] == budget]
        a = per_seed(at[at["strategy"] == "adaptive"], metric)
        d = paired_difference(a, per_seed(at[at["strategy"] == "uniform"], metric))
        if d["n"] == 0:
            continue
        verdict = "not resolved"
        if d["resolved"]:
            verdict = "better" if d["diff"] > 0 else "worse"
        beyond = bool(np.isfinite(d["std"]) and abs(d["diff"]) > d["std"])
        rows.append({"budget": budget, "difference": d["diff"], "std": d["std"], "lo": d["lo"],
                     "hi": d["hi"], "seeds": d["n"], "verdict": verdict,
                     "beyond_std": beyond})  # fmt: skip
    return pd.DataFrame(rows)


def _cell(mean: float, std: float) -> str:
    return f"{mean:.4f} ± {0.0 if np.isnan(std) else std:.4f}"


def markdown(summary: pd.DataFrame, runs: pd.DataFrame) -> str:
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
    for metric in ("test_accuracy", "test_bal_acc", "label_accuracy"):
        v = verdicts(runs, metric)
        if v.empty:
            continue
        lines += ["", f"Adaptive − uniform, {metric}, paired by seed (std over seeds; 95% t "
                  "interval; resolved when it excludes 0):", ""]  # fmt: skip
        lines += ["| budget | seeds | difference | std | 95% interval | beyond one std | verdict |",
                  "|---:|---:|---:|---:|---|---|---|"]  # fmt: skip
        lines += [
            f"| {r.budget:g} | {r.seeds} | {r.difference:+.4f} | {r.std:.4f} | "
            f"[{r.lo:+.4f}, {r.hi:+.4f}] | {'yes' if r.beyond_std else 'no'} | {r.verdict} |"
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
        raise MissingInputError(
            f"{sweep}: no finished run with acquire/acquire.json; give the sweep dir of "
            "`python train.py -m experiment=adaptive`"
        )
    out = sweep / "report"
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(runs)
    runs.to_csv(out / "adaptive_runs.csv", index=False)
    summary.to_csv(out / "adaptive.csv", index=False)
    (out / "adaptive.md").write_text(markdown(summary, runs), encoding="utf-8")
    figure(summary, out / "adaptive.png")
    return out


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    with exit_on_user_error():
        if len(args) != 1:
            raise MissingInputError(
                "usage: python -m crowdsign.evaluation.adaptive_report <sweep_dir>"
            )
        print(report(Path(args[0])))


if __name__ == "__main__":
    main()
