"""What ``label.py`` writes: the next batch's files and the replay's table, note and figure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from crowdsign.crowd.active.batch import NextBatch  # noqa: E402


def _money(v: float | None) -> str:
    return "unknown" if v is None or (isinstance(v, float) and math.isnan(v)) else f"${v:,.2f}"


def route_to(a, answers: pd.DataFrame, tasks: pd.Series, top: int = 5) -> list[str]:
    """Per image, up to ``top`` workers to offer it to (a qualification / allow-list): the
    unflagged workers with the best estimated accuracy who have not answered it, best first."""
    ranked = a.skills.drop(list(a.flagged), errors="ignore").sort_values(ascending=False)
    ranked = ranked[ranked > 1.0 / max(len(a.classes), 2)]
    done = answers.groupby("task")["worker"].agg(lambda w: set(map(str, w)))
    out = []
    for t in tasks:
        seen = done.get(t, set())
        out.append(";".join([str(w) for w in ranked.index if str(w) not in seen][:top]))
    return out


def write_next_batch(nb: NextBatch, answers: pd.DataFrame, out: Path, dollars: float) -> Path:
    """``next_batch.csv`` (image, answers_wanted, why, ..., ``exclude_workers``, ``route_to``),
    ``blocked_workers.csv``, ``plan.md``."""
    a = nb.assessment
    who = answers.groupby("task")["worker"].agg(lambda w: ";".join(sorted(map(str, set(w)))))
    pos = pd.Index(a.tasks).get_indexer(nb.plan["task"])
    table = pd.DataFrame(
        {
            "image": nb.plan["task"].to_numpy(),
            "answers_wanted": nb.plan["wanted"].to_numpy(),
            "why": nb.plan["why"].to_numpy(),
            "answers_so_far": nb.plan["answers"].to_numpy(),
            "label_so_far": np.where(a.n_answers[pos] > 0, a.classes[a.labels[pos]], ""),
            "p_label": nb.plan["p_top"].to_numpy(),
            "gain": nb.plan["gain"].to_numpy(),
            "exclude_workers": who.reindex(nb.plan["task"]).fillna("").to_numpy(),
            "route_to": route_to(a, answers, nb.plan["task"]),
        }
    )
    path = out / "next_batch.csv"
    table.to_csv(path, index=False)
    blocked = pd.DataFrame({"worker": sorted(map(str, a.flagged))})
    blocked.to_csv(out / "blocked_workers.csv", index=False)
    wanted = int(nb.plan["wanted"].sum()) if len(nb.plan) else 0
    c = nb.cost
    rows = [
        (
            "images / answered / settled",
            f"{len(a.tasks)} / {int((a.n_answers > 0).sum())} / {int(a.settled.sum())}",
        ),
        ("answers so far", f"{len(answers)} (cost {_money(nb.spent)})"),
        (
            "budget",
            f"{_money(dollars)}; {nb.affordable} more answers at {_money(nb.answer_price)} each (fee included)",
        ),
        ("flagged workers (no work)", str(len(a.flagged))),
        ("**this batch**", f"{wanted} answers for {len(nb.plan)} images"),
        ("at the configured pay", _money(None if c is None else c.total)),
        (
            f"at the fair wage (${c.fair_wage:.2f}/h)" if c else "at the fair wage",
            _money(None if c is None else c.fair_total),
        ),
        (
            "budget left after it",
            _money(dollars - nb.spent - (c.total or 0.0) if c else dollars - nb.spent),
        ),
    ]
    lines = ["# Next batch", "", "| | |", "|---|---:|", *[f"| {k} | {v} |" for k, v in rows]]
    lines += ["", *[f"- note: {n}" for n in nb.notes]]
    (out / "plan.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def replay_markdown(summary: pd.DataFrame, goal: dict[str, Any], notes: list[str]) -> str:
    """The replay's note: the table (mean ± std over seeds) and the ≤ 60% goal."""
    lines = [
        "# Replay",
        "",
        "| strategy | budget / image | answers / image | cost | fair-wage cost | label accuracy | settled | seeds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary.itertuples():
        lines.append(
            f"| {r.strategy} | {r.budget_per_task:g} | {r.answers_per_task:.2f} | {_money(r.cost)} | "
            f"{_money(r.fair_cost)} | {r.label_accuracy:.4f} ± {r.label_accuracy_std:.4f} | {r.settled:.0f} | {r.seeds} |"
        )
    if goal:
        lines += [
            "",
            f"Uniform k={goal['k']:g}: label accuracy {goal['uniform_accuracy']:.4f} with {goal['uniform_answers']:.0f} answers.",
        ]
        if goal.get("reached"):
            lines.append(
                f"Adaptive reaches it with {goal['adaptive_answers']:.0f} answers "
                f"({goal['share']:.0%} of uniform's; first grid budget at or above it: "
                f"{goal['adaptive_accuracy']:.4f})."
            )
        else:
            lines.append(
                f"Adaptive does not reach it on this grid (best {goal['best_accuracy']:.4f})."
            )
    lines += ["", *[f"- note: {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def replay_figure(summary: pd.DataFrame, path: Path, title: str) -> Path:
    """Label accuracy (mean ± std over seeds) against answers per image and against dollars
    (at the configured pay, else at the fair wage; the dollar panel is left out if neither is
    known)."""
    money = [c for c in ("cost", "fair_cost") if summary[c].astype(float).notna().any()]
    xs = ["answers_per_task", *money[:1]]
    fig, axes = plt.subplots(1, len(xs), figsize=(5 * len(xs), 4), sharey=True, squeeze=False)
    for name, part in summary.groupby("strategy"):
        part = part.sort_values("answers")
        mean = part["label_accuracy"].astype(float).to_numpy()
        std = part["label_accuracy_std"].astype(float).fillna(0.0).to_numpy()
        for ax, x in zip(axes[0], xs, strict=True):
            at = part[x].astype(float).to_numpy()
            ax.plot(at, mean, marker="o", label=name)
            ax.fill_between(at, mean - std, mean + std, alpha=0.2)
    labels = {
        "answers_per_task": "answers per image",
        "cost": "cost at the configured pay ($)",
        "fair_cost": "cost at the fair wage ($)",
    }
    for ax, x in zip(axes[0], xs, strict=True):
        ax.set_xlabel(labels[x])
    axes[0][0].set_ylabel("label accuracy vs truth")
    axes[0][0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
