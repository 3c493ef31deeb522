"""Per-worker quality report: skill, agreement, a spam score and flags with their evidence.

Flags are evidence for review, not a rejection list. A worker is flagged only when the data
show, at the report's confidence, that their answers carry (almost) no information about the
truth: their chance-corrected agreement (Cohen's kappa) with the aggregate of the *other*
answers on their tasks is below ``kappa_max`` (``spammer``), or their agreement is below
chance (``adversarial``). An honest but weak worker agrees clearly more often than chance and
is not flagged; a worker with too few answers to tell is marked inconclusive, not flagged.

Agreement is measured leave-one-out (the worker's own answer is taken out of their task's
posterior), otherwise with three answers per task a spammer would agree with a majority they
helped form.
"""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import torch

from crowdsign.crowd.aggregate.base import Aggregator, flat_index, segment_sum, take
from crowdsign.crowd.answers import CodedAnswers
from crowdsign.markdown import table

CONSTANT_SHARE = 0.95  # a worker giving one label this often is called out in the evidence


def worker_report(
    codes: CodedAnswers,
    fitted: Aggregator,
    *,
    simulated: pd.DataFrame | None = None,
    kappa_max: float = 0.1,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per worker (index ``worker``, in code order) describing their answers.

    Args:
        codes: the answers ``fitted`` was fitted on.
        fitted: a fitted aggregator (any of :mod:`crowdsign.crowd.aggregate`).
        simulated: optional, indexed by worker, columns ``type`` and ``accuracy`` (NaN for
            a random answerer): added as ``true_type`` and ``true_accuracy``.
        kappa_max: flag as ``spammer`` when kappa's upper confidence bound is below this.
        confidence: one-sided confidence of the bounds.

    Returns:
        DataFrame with columns ``answers``; ``est_accuracy`` (the aggregator's skill: expected
        share of right answers; leave-one-out agreement when it has none); ``agreement`` (share
        of answers equal to the aggregate label); ``loo_agreement`` and ``chance_agreement``
        (expected agreement with the others' aggregate, and what answers independent of the
        truth would get); ``kappa`` and ``kappa_upper``; ``spam_score`` = ``1 - clip(kappa,
        0, 1)``; ``top_label`` and ``top_label_share``; ``recall_<label>`` (P(answer = c | truth
        = c), when the aggregator has ``confusions_``); ``flagged``, ``flag`` (``spammer``,
        ``adversarial`` or empty) and ``evidence``. ``attrs`` holds the aggregator's name and the
        thresholds for :func:`write_worker_report`.
    """
    if fitted.coded_.n_answers != codes.n_answers or fitted.coded_.n_workers != codes.n_workers:
        raise ValueError("worker_report: `fitted` was fitted on different answers than `codes`")
    out = _agreement_stats(codes, fitted)
    confusions = getattr(fitted, "confusions_", None)
    if isinstance(confusions, torch.Tensor):
        recall = confusions.diagonal(dim1=1, dim2=2).cpu().numpy()  # (W, K)
        for j, label in enumerate(codes.label_ids):
            out[f"recall_{label}"] = recall[:, j].astype(float)
    out = _flag(out, kappa_max=kappa_max, confidence=confidence)
    if simulated is not None:
        sim = simulated.reindex(out.index)
        out["true_type"] = sim["type"].to_numpy()
        out["true_accuracy"] = sim["accuracy"].to_numpy(dtype=float)
    out.attrs.update(
        aggregator=type(fitted).__name__,
        n_answers=codes.n_answers,
        n_classes=fitted.coded_.n_classes,
        kappa_max=kappa_max,
        confidence=confidence,
    )
    return out


def _agreement_stats(codes: CodedAnswers, fitted: Aggregator) -> pd.DataFrame:
    """Per worker: answers, estimated accuracy, agreement (plain, leave-one-out, by chance) and
    the most given label with its share."""
    c = fitted.coded_  # same answers, on the device the aggregator used
    w, k = c.n_workers, c.n_classes
    ones = torch.ones(c.n_answers, device=c.task.device)
    n = segment_sum(c.worker, ones, w)
    per = n.clamp_min(1.0)
    hard = take(fitted.hard_labels(), c.task)
    agreement = segment_sum(c.worker, (hard == c.label).float(), w) / per

    loo = fitted.loo_posteriors().float()  # (N, K)
    loo_agreement = segment_sum(c.worker, loo.gather(1, c.label[:, None])[:, 0], w) / per
    pair = flat_index(c.worker, c.label, k)
    label_share = segment_sum(pair, ones, w * k).view(w, k) / per[:, None]
    others = torch.zeros(w, k, device=loo.device).index_add_(0, c.worker, loo) / per[:, None]
    chance = (label_share * others).sum(1)

    top_share, top = label_share.max(1)
    skills = fitted.worker_skills_ if fitted.worker_skills_ is not None else loo_agreement
    return pd.DataFrame(
        {
            "answers": n.long().cpu().numpy(),
            "est_accuracy": skills.float().cpu().numpy(),
            "agreement": agreement.cpu().numpy(),
            "loo_agreement": loo_agreement.cpu().numpy(),
            "chance_agreement": chance.cpu().numpy(),
            "top_label": codes.label_ids[top.cpu().numpy()],
            "top_label_share": top_share.cpu().numpy(),
        },
        index=pd.Index(codes.worker_ids, name="worker"),
    )


def _flag(report: pd.DataFrame, *, kappa_max: float, confidence: float) -> pd.DataFrame:
    """Add kappa, its upper bound, spam score, flags and evidence to ``report``."""
    n = report["answers"].to_numpy(dtype=float)
    a = report["loo_agreement"].to_numpy(dtype=float)
    p0 = report["chance_agreement"].to_numpy(dtype=float)
    z = NormalDist().inv_cdf(confidence)
    room = 1.0 - p0
    judgeable = (room > 1e-6) & (n > 0)
    # standard error of the agreement, a mean of n values in [0, 1]: the larger of the null
    # (chance) variance and the observed one, the latter Agresti–Coull adjusted so that a worker
    # with 1 answer and a certain aggregate does not get a zero-width interval
    shrunk = (a * n + z * z / 2) / (n + z * z)
    var = np.maximum(shrunk * (1 - shrunk), p0 * (1 - p0))
    se = np.sqrt(var / np.maximum(n, 1))
    safe_room = np.where(judgeable, room, 1.0)
    kappa = np.where(judgeable, (a - p0) / safe_room, 0.0)
    upper = np.where(judgeable, (a + z * se - p0) / safe_room, 1.0)
    adversarial = judgeable & (a + z * se < p0)
    spammer = judgeable & ~adversarial & (upper < kappa_max)
    report["kappa"] = kappa
    report["kappa_upper"] = upper
    report["spam_score"] = 1.0 - np.clip(kappa, 0.0, 1.0)
    report["flagged"] = adversarial | spammer
    report["flag"] = np.where(adversarial, "adversarial", np.where(spammer, "spammer", ""))

    def evidence(row: pd.Series, judge: bool) -> str:
        base = (
            f"agrees with the others' aggregate on {row.loo_agreement:.0%} of {row.answers} "
            f"answers vs {row.chance_agreement:.0%} by chance "
            f"(kappa {row.kappa:.2f}, {confidence:.0%} upper bound {row.kappa_upper:.2f})"
        )
        if row.top_label_share >= CONSTANT_SHARE and row.answers >= 5:
            base += f"; answered {row.top_label!r} {row.top_label_share:.0%} of the time"
        if row.flag == "adversarial":
            return "below chance: " + base
        if row.flag == "spammer":
            return f"near chance (upper bound < {kappa_max}): " + base
        if not judge:
            return "cannot judge: no disagreement among the others' answers to compare against"
        if row.kappa < kappa_max:
            return f"inconclusive, too few answers to tell from chance: {base}"
        return ""

    report["evidence"] = [
        evidence(row, bool(j)) for row, j in zip(report.itertuples(), judgeable, strict=True)
    ]
    return report


# writing ------------------------------------------------------------------------------------
def _md_table(frame: pd.DataFrame) -> list[str]:
    def cell(v: object) -> str:
        if isinstance(v, float | np.floating):
            return "" if math.isnan(v) else f"{v:.3f}"
        return str(v).replace("|", "\\|")

    align = "".join("r" if frame[c].dtype.kind in "fiu" else "l" for c in frame)
    rows = ([cell(v) for v in row] for row in frame.itertuples(index=False))
    return table(frame.columns, rows, align)


def _markdown(report: pd.DataFrame, max_rows: int) -> str:
    attrs = report.attrs
    flagged = report[report["flagged"]].sort_values(["spam_score", "answers"], ascending=False)
    n_adv = int((report["flag"] == "adversarial").sum())
    inconclusive = int(report["evidence"].str.startswith("inconclusive").sum())
    conf = attrs.get("confidence", 0.95)
    lines = [
        "# Worker report",
        "",
        f"{attrs.get('aggregator', 'aggregator')}: {len(report):,} workers, "
        f"{int(report['answers'].sum()):,} answers; **{len(flagged)} flagged for review** "
        f"({len(flagged) - n_adv} spammer-like, {n_adv} adversarial); {inconclusive} "
        "inconclusive (too few answers).",
        "",
        "Flags are evidence for review, not a rejection list. A worker is flagged when, at "
        f"{conf:.0%} confidence, their chance-corrected agreement (kappa) with the aggregate of "
        f"the *other* answers on their tasks is below {attrs.get('kappa_max', 0.1)} "
        "(`spammer`) or their agreement is below chance (`adversarial`, e.g. swapped labels). "
        "Honest but weak workers agree more than chance and are not flagged.",
        "",
        "## Flagged workers",
        "",
    ]
    cols = ["answers", "est_accuracy", "agreement", "kappa", "kappa_upper", "spam_score", "flag"]
    if "true_type" in report:
        cols.append("true_type")
    cols.append("evidence")
    if len(flagged):
        lines += _md_table(flagged[cols].head(max_rows).reset_index())
        if len(flagged) > max_rows:
            lines.append(f"\n… and {len(flagged) - max_rows} more in `workers.csv`.")
    else:
        lines.append("None.")
    if "true_type" in report:
        lines += ["", "## Against the simulated truth", ""]
        chance = 1.0 / max(int(attrs.get("n_classes", 2)), 1)
        true_acc = report["true_accuracy"].fillna(chance)  # a random answerer is right by chance
        est = report["est_accuracy"]
        if est.nunique() > 1 and true_acc.nunique() > 1:
            rho = est.corr(true_acc, method="spearman")
            lines.append(
                f"Spearman correlation of estimated and true accuracy: {rho:.3f} over "
                f"{len(report)} workers (random answerers counted at chance, {chance:.2f})."
            )
        else:  # e.g. a noise-free pool: every worker equally accurate, no ranking to compare
            lines.append("Estimated or true accuracies are all equal: no rank correlation.")
        lines.append("")
        by_type = report.groupby("true_type").agg(
            workers=("flagged", "size"),
            flagged=("flagged", "sum"),
            mean_kappa=("kappa", "mean"),
            mean_answers=("answers", "mean"),
        )
        lines += _md_table(by_type.reset_index())
    lines += ["", "Every worker, with all columns: `workers.csv`."]
    return "\n".join(lines) + "\n"


def write_worker_report(report: pd.DataFrame, out_dir: Path, *, max_rows: int = 50) -> str:
    """Write ``workers.csv`` (every column) and ``workers.md`` into ``out_dir``.

    Returns the Markdown text (summary, flagged workers with evidence — at most ``max_rows`` —
    and, with simulated truth, how the estimates and flags compare to it).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report.to_csv(out_dir / "workers.csv")
    text = _markdown(report, max_rows)
    (out_dir / "workers.md").write_text(text, encoding="utf-8")
    return text
