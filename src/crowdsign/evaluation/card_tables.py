"""Model-card sections built from optional reports: labeling cost and robustness.

``crowd/cost.json`` is ``{"model": CostModel fields, "report": CostReport fields}``
(:mod:`crowdsign.crowd.reports`); ``robustness.csv`` has one row per corruption × severity and
a ``clean`` row (:mod:`crowdsign.evaluation.robustness`). Both may be absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from crowdsign.markdown import table

US_FEDERAL_MINIMUM = 7.25  # USD per hour, CostModel's default fair wage


def _money(value: float | None, currency: str, digits: int = 2) -> str:
    if value is None:
        return "unknown"
    return f"${value:,.{digits}f}" if currency == "USD" else f"{currency} {value:,.{digits}f}"


def cost_section(cost: dict[str, Any]) -> list[str]:
    """Total cost, cost per image, effective hourly wage against the fair-wage reference."""
    head = ["## Labeling cost and pay", ""]
    items: list[str] = []
    report, model = cost.get("report") or {}, cost.get("model") or {}
    if not report:
        return [*head, "No cost report in this run (crowd/cost.json absent)."]
    cur = report.get("currency", "USD")
    fair = report.get("fair_wage", model.get("fair_wage"))
    reference = f"{_money(fair, cur)}/h"
    if cur == "USD" and fair == US_FEDERAL_MINIMUM:
        reference += " (US federal minimum wage)"
    if report.get("total") is None:
        items.append(
            f"{report.get('answers')} answers from {report.get('workers')} workers; the rewards "
            "are unknown (neither the export nor the config gives them), so the cost is unknown."
        )
    else:
        items.append(
            f"Total {_money(report['total'], cur)} for {report.get('answers')} answers on "
            f"{report.get('images')} images ({_money(report.get('per_image'), cur, 4)} per "
            f"image): rewards {_money(report.get('rewards'), cur)} + platform fees "
            f"{_money(report.get('fees'), cur)}."
        )
    if model.get("reward") is not None:
        items.append(
            f"Reward per answer (configured, for answers that carry none): "
            f"{_money(model['reward'], cur, 4)}."
        )
    wage = report.get("hourly_wage")
    if wage is None:
        items.append(
            f"Hours worked are unknown, so the hourly wage is; fair-wage reference {reference}."
        )
    else:
        ratio = f", {wage / fair:.0%} of it" if fair else ""
        items.append(
            f"{report.get('hours', 0):,.2f} hours of work: effective hourly wage "
            f"{_money(wage, cur)}/h against a fair-wage reference of {reference}{ratio}; "
            f"median worker {_money(report.get('median_worker_wage'), cur)}/h."
        )
        below = report.get("hours_below_fair_wage")
        if below is not None:
            items.append(f"{below:.0%} of the work hours were paid below the reference.")
    if report.get("fair_total") is not None:
        items.append(
            f"The same labels at the reference wage: {_money(report['fair_total'], cur)} "
            f"({_money(report.get('fair_per_image'), cur, 4)} per image)."
        )
    if report.get("rejected"):
        items.append(
            f"{report['rejected']} answers were rejected and not paid "
            f"({report.get('rejected_hours') or 0:.2f} hours of unpaid work)."
        )
    return [*head, *[f"- {i}" for i in items]]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _f(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def robustness_section(rows: list[dict[str, str]], markdown: str | None) -> list[str]:
    """Clean vs corrupted accuracy and stop recall, by corruption group and by severity."""
    lines = ["## Robustness to corruptions", ""]
    if not rows:
        if markdown:  # no CSV to tabulate: the report itself, its headings one level down
            body = re.sub(r"^(#+) ", r"\1## ", markdown.strip(), flags=re.M)
            return [*lines, body.split("\n", 1)[-1].strip()]
        return [*lines, "Not measured in this run (no robustness report in the run directory)."]

    def num(row: dict[str, str], key: str) -> float | None:
        return float(row[key]) if row.get(key) not in (None, "") else None

    clean = [r for r in rows if r["corruption"] == "clean"]
    cells = [r for r in rows if r["corruption"] != "clean"]

    def summary(subset: list[dict[str, str]]) -> tuple[str, str]:
        acc = [v for r in subset if (v := num(r, "accuracy")) is not None]
        rec = [v for r in subset if (v := num(r, "stop_recall")) is not None]
        return _f(_mean(acc)), _f(_mean(rec))

    n = cells[0].get("n_images", "?") if cells else "?"
    families = len({r["corruption"] for r in cells})
    lines.append(
        f"{n} test images under {families} corruptions × severities "
        f"{', '.join(sorted({r['severity'] for r in cells}))} (full tables: robustness.md)."
    )
    rows = [["clean", *summary(clean)]] if clean else []
    rows.append(["**all corruptions (mean)**", *summary(cells)])
    for group in dict.fromkeys(r["group"] for r in cells):
        rows.append([group, *summary([r for r in cells if r["group"] == group])])
    for sev in sorted({r["severity"] for r in cells}, key=int):
        rows.append([f"severity {sev}", *summary([r for r in cells if r["severity"] == sev])])
    return [*lines, "", *table(["condition", "accuracy", "stop recall"], rows)]
