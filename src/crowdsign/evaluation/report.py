"""Reports of one model on one split: report.json, report.md and a confusion-matrix figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from crowdsign.markdown import table  # noqa: E402
from crowdsign.runtime.figures import confusion_figure  # noqa: E402
from crowdsign.runtime.run_dir import RunDir  # noqa: E402

HEADLINE = (
    "accuracy",
    "balanced_accuracy",
    "stop_precision",
    "stop_recall",
    "stop_f1",
    "stop_auroc",
    "auroc_macro",
    "ece",
)


def markdown_report(
    title: str, metrics: dict[str, float], confusion: torch.Tensor, class_names, context: dict
) -> str:
    lines = [f"# {title}", ""]
    lines += [f"- {k}: {v}" for k, v in context.items()]
    lines += [
        "",
        *table(["metric", "value"], [[k, f"{metrics[k]:.4f}"] for k in HEADLINE if k in metrics]),
    ]
    lines += ["", "Confusion matrix (rows: truth, columns: prediction):", ""]
    rows = [[name, *row] for name, row in zip(class_names, confusion.tolist(), strict=True)]
    lines += table(["truth \\ pred", *class_names], rows)
    return "\n".join(lines) + "\n"


def write_report(
    out_dir: Path,
    *,
    title: str,
    metrics: dict[str, float],
    confusion: torch.Tensor,
    class_names: tuple[str, ...] | list[str],
    context: dict[str, Any],
) -> str:
    """Write report.json, report.md and confusion.png into ``out_dir``; return the Markdown."""
    run = RunDir(out_dir)
    payload = {
        "title": title,
        "context": context,
        "metrics": metrics,
        "class_names": list(class_names),
        "confusion": confusion.tolist(),
    }
    run.write_json(run.report_json, payload)
    md = markdown_report(title, metrics, confusion, list(class_names), context)
    run.report_md.write_text(md)
    fig = confusion_figure(confusion, class_names)
    fig.savefig(run.confusion_png)
    plt.close(fig)
    return md
