"""Worker report: columns, flags with evidence, honest-but-weak workers left alone, files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from toy_crowd import synthetic_crowd

from crowdsign.crowd.aggregate import GLAD, DawidSkene, MajorityVote, Wawa
from crowdsign.crowd.answers import encode
from crowdsign.crowd.workers import worker_report, write_worker_report

SHARES = {
    "reliable": 0.35,
    "average": 0.2,
    "weak": 0.2,
    "spammer": 0.1,
    "constant": 0.075,
    "adversarial": 0.075,
}


@pytest.fixture(scope="module")
def crowd():
    # 40 workers, 3 answers per task (the training default), 300 answers per worker
    return synthetic_crowd(4000, 40, 3, per_task=3, shares=SHARES, seed=21)


@pytest.mark.parametrize("method", [MajorityVote, DawidSkene, GLAD])
def test_flags_spammers_and_adversaries_not_weak_workers(crowd, method):
    report = worker_report(crowd.codes, method().fit_codes(crowd.codes), simulated=crowd.workers)
    types = report["true_type"]
    honest = types.isin(["reliable", "average", "weak"])
    assert not report.loc[honest, "flagged"].any()
    assert (types == "weak").sum() >= 3  # the pool really has weak workers to spare
    random_answers = types.isin(["spammer", "constant"])
    assert report.loc[random_answers, "flagged"].all()
    assert (report.loc[random_answers, "flag"] == "spammer").all()
    assert (report.loc[types == "adversarial", "flag"] == "adversarial").all()
    # spam score orders the groups; evidence is given for every flag
    assert report.loc[random_answers, "spam_score"].min() > report.loc[honest, "spam_score"].max()
    assert report.loc[report["flagged"], "evidence"].str.contains("chance").all()
    const = report[types == "constant"]
    assert const["evidence"].str.contains("of the time").all()
    assert (const["top_label_share"] == 1.0).all()


def test_columns_and_accuracy_estimates(crowd):
    ds = DawidSkene().fit_codes(crowd.codes)
    report = worker_report(crowd.codes, ds, simulated=crowd.workers)
    assert report.index.name == "worker" and len(report) == crowd.codes.n_workers
    for col in [
        "answers",
        "est_accuracy",
        "agreement",
        "loo_agreement",
        "chance_agreement",
        "kappa",
        "kappa_upper",
        "spam_score",
        "flagged",
        "flag",
        "evidence",
        "recall_0",
        "recall_2",
        "true_type",
        "true_accuracy",
    ]:
        assert col in report, col
    assert report["answers"].sum() == crowd.codes.n_answers
    numeric = report.select_dtypes("number")
    assert np.isfinite(numeric.to_numpy(dtype=float)).all()
    assert report["est_accuracy"].corr(report["true_accuracy"], method="spearman") >= 0.9
    assert report.attrs["aggregator"] == "DawidSkene"


def test_few_answers_are_inconclusive_not_flagged():
    sim = synthetic_crowd(30, 10, 2, per_task=3, shares={"spammer": 1.0}, seed=2)  # 9 each
    report = worker_report(sim.codes, MajorityVote().fit_codes(sim.codes))
    assert not report["flagged"].any()
    assert report["evidence"].str.startswith("inconclusive").sum() >= 5


def test_one_certain_disagreement_is_not_a_flag():
    # "new" answers once, against a certain aggregate: agreement 0 and chance 0, n = 1
    rows = [(t, w, t % 2) for t in range(20) for w in ("a", "b", "c")] + [(0, "new", 1)]
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    codes = encode(answers)
    report = worker_report(codes, DawidSkene().fit_codes(codes))
    assert not report.loc["new", "flagged"]
    assert report.loc["new", "evidence"].startswith("inconclusive")


def test_unanimous_answers_cannot_be_judged():
    answers = pd.DataFrame(
        {"task": np.repeat(np.arange(20), 2), "worker": ["a", "b"] * 20, "label": ["s"] * 40}
    )
    codes = encode(answers, labels=np.array(["o", "s"], dtype=object))
    report = worker_report(codes, Wawa().fit_codes(codes))
    assert not report["flagged"].any()
    assert np.isfinite(report.select_dtypes("number").to_numpy(dtype=float)).all()
    assert report["evidence"].str.startswith("cannot judge").all()


def test_write_worker_report(tmp_path, crowd):
    simulated = crowd.workers.copy()  # simulate_crowd gives random answerers NaN accuracy
    simulated.loc[simulated["type"] == "spammer", "accuracy"] = np.nan
    report = worker_report(crowd.codes, GLAD().fit_codes(crowd.codes), simulated=simulated)
    text = write_worker_report(report, tmp_path / "crowd")
    assert (tmp_path / "crowd" / "workers.md").read_text(encoding="utf-8") == text
    back = pd.read_csv(tmp_path / "crowd" / "workers.csv", index_col="worker")
    assert len(back) == len(report) and back["flagged"].sum() == report["flagged"].sum()
    assert "# Worker report" in text and "not a rejection list" in text
    for worker in report.index[report["flagged"]]:
        assert f"| {worker} |" in text
    assert "Spearman" in text and "nan" not in text.lower()


def test_report_rejects_mismatched_answers(crowd):
    other = synthetic_crowd(10, 4, 3, per_task=2, seed=0)
    with pytest.raises(ValueError, match="different answers"):
        worker_report(other.codes, MajorityVote().fit_codes(crowd.codes))
