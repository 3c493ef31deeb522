"""Cost model and the crowd reports written to the run dir."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.cost import CostModel, as_cost_model, price
from crowdsign.crowd.io.examples import example_images
from crowdsign.crowd.reports import write_crowd_reports
from crowdsign.crowd.simulate import simulate_crowd
from crowdsign.data.summary import LoadSummary


def answers(**cols) -> pd.DataFrame:
    base = {"task": ["a", "a", "b", "b"], "worker": ["w1", "w2", "w1", "w3"]}
    base["label"] = ["stop", "stop", "stop", "not_stop"]
    return pd.DataFrame({**base, **cols})


def test_fee_rewards_wage_and_rejected_work():
    a = answers(
        reward=[0.10, 0.10, 0.10, 0.10],
        seconds=[36.0, 36.0, 36.0, 72.0],
        status=["approved", "approved", "submitted", "rejected"],
    )
    truth = pd.Series({"a": "stop", "b": "not_stop"})
    r = price(a, CostModel(fee=0.2, fair_wage=7.25), truth=truth)
    assert r.rewards == pytest.approx(0.30) and r.fees == pytest.approx(0.06)
    assert r.total == pytest.approx(0.36) and r.per_image == pytest.approx(0.18)
    assert r.rejected == 1 and r.rejected_hours == pytest.approx(0.02)
    assert r.rejected_rewards == pytest.approx(0.10)
    assert r.rejected_value_at_fair_wage == pytest.approx(0.145)
    assert r.correct == 2 and r.per_correct_label == pytest.approx(0.18)
    # $0.30 for 4 answers' 180 s of work (rejected work included): $6/h
    assert r.hourly_wage == pytest.approx(6.0)
    # fair: 36 s at $7.25/h is $0.0725 < $0.10, so the same labels cost the same
    assert r.fair_total == pytest.approx(0.36)
    assert r.hours_below_fair_wage == pytest.approx(72 / 180)  # w3's unpaid hours


def test_large_hits_pay_the_higher_fee_and_fair_wage_raises_cheap_labels():
    a = pd.DataFrame({"task": ["a"] * 10 + ["b"], "worker": [f"w{i}" for i in range(11)]})
    a["label"] = "stop"
    r = price(a, CostModel(reward=0.01, seconds=36.0))  # rewards and times from the config
    assert r.fees == pytest.approx(10 * 0.01 * 0.4 + 0.01 * 0.2)
    assert r.hourly_wage == pytest.approx(1.0)  # $0.01 per 36 s
    fair = 7.25 * 0.01  # each answer's 36 s at $7.25/h
    assert r.fair_total == pytest.approx(10 * fair * 1.4 + fair * 1.2)
    assert r.hours_below_fair_wage == 1.0
    no_large = price(a, CostModel(reward=0.01, large_batch=0))
    assert no_large.fees == pytest.approx(11 * 0.01 * 0.2)


def test_unknown_rewards_and_times_are_reported_as_unknown():
    r = price(answers())
    assert r.total is None and r.hourly_wage is None and r.fair_total is None
    assert r.to_dict()["total"] is None and "unknown" in r.to_markdown()
    assert as_cost_model({"reward": 0.02}).reward == 0.02 and as_cost_model(None).fee == 0.2


def test_write_crowd_reports(tmp_path):
    imgs = example_images()
    crowd = simulate_crowd(imgs, labels_per_image=3, n_workers=6, cost=CostModel(reward=0.02))
    truth = pd.Series(np.asarray(imgs.class_names)[imgs.truth], index=imgs.image_id)
    texts = write_crowd_reports(crowd, tmp_path / "crowd", truth=truth)
    assert set(texts) == {"load_summary", "workers", "cost"}
    for name in ("load_summary.json", "load_summary.md", "cost.json", "cost.md", "workers.csv"):
        assert (tmp_path / "crowd" / name).is_file()
    cost = json.loads((tmp_path / "crowd" / "cost.json").read_text())
    assert cost["model"]["reward"] == 0.02 and cost["report"]["total"] == pytest.approx(36 * 0.024)
    workers = pd.read_csv(tmp_path / "crowd" / "workers.csv", index_col="worker")
    assert workers["answers"].sum() == 36 and {"accuracy", "type", "true_accuracy"} <= set(
        workers.columns
    )
    assert "By worker type" in texts["workers"] and "$7.25" in texts["cost"]
    # without truth or known costs it still writes everything
    plain = CrowdLabels(answers(), LoadSummary("x", read=4, kept=4))
    texts = write_crowd_reports(plain, tmp_path / "plain")
    assert "unknown" in texts["cost"] and "accuracy" not in texts["workers"]
