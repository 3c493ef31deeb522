"""Model selection without truth: crowd targets on val by default, a priced gold set, an oracle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra.errors import ConfigCompositionException

from crowdsign.crowd.aggregate import MajorityVote
from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.cost import CostModel
from crowdsign.crowd.simulate import simulate_uniform, source_labels
from crowdsign.data.imageset import ImageSet
from crowdsign.data.summary import LoadSummary
from crowdsign.training.selection import answer, selection_set

NAMES = ("not_stop", "stop")


def split(n: int, prefix: str, seed: int) -> ImageSet:
    rng = np.random.default_rng(seed)
    return ImageSet(
        images=np.zeros((n, 2, 2, 3), np.uint8),
        image_id=np.array([f"{prefix}/{i}.png" for i in range(n)]),
        group=np.arange(n),
        class_names=NAMES,
        truth=rng.integers(0, 2, n),
    )


def noisy(images: ImageSet, seed: int = 0) -> CrowdLabels:
    return simulate_uniform(
        images, noise=0.3, labels_per_image=3, seed=seed, cost=CostModel(reward=0.01)
    )


def test_crowd_selection_scores_against_aggregated_val_answers_not_truth():
    train, val = split(60, "tr", 0), split(200, "va", 1)
    crowd, val_crowd = answer(noisy, train, val)
    assert set(crowd.answers["task"]) == set(train.image_id)
    assert set(val_crowd.answers["task"]) == set(val.image_id)
    # nested: the val answers are those the crowd gives val alone
    pd.testing.assert_frame_equal(val_crowd.answers, noisy(val).answers)
    sel = selection_set(
        "crowd", val, val_crowd, MajorityVote, gold_size=0, seed=0, price_per_image=None
    )
    mv = MajorityVote().fit(val_crowd.answers).labels_.reindex(val.image_id).to_numpy()
    assert sel.by == "crowd" and sel.answers == 600
    np.testing.assert_array_equal(np.asarray(NAMES)[sel.labels], mv)
    assert (sel.labels != val.truth).any()  # 30% noise, k=3: some vote is wrong
    assert sel.cost == pytest.approx(600 * 0.01 * 1.2)  # reward 0.01 + 20% fee per answer
    assert "no truth" in sel.record()["note"]
    # the labels' noise, estimated from the answers alone, is near the measured one
    wrong = float((sel.labels != val.truth).mean())
    assert 0.0 < sel.label_noise < 0.5 and abs(sel.label_noise - wrong) < 0.1
    assert sel.record()["label_noise"] == sel.label_noise


def test_gold_selection_is_a_stratified_priced_subset_with_truth():
    val = split(200, "va", 1)
    sel = selection_set(
        "gold", val, noisy(val), MajorityVote, gold_size=40, seed=3, price_per_image=0.05
    )
    assert sel.by == "gold" and len(sel.images) == 40
    np.testing.assert_array_equal(sel.labels, sel.images.truth)
    assert set(sel.images.image_id) <= set(val.image_id)
    share = val.truth.mean()
    assert abs(sel.labels.mean() - share) <= 1 / 40 + 1e-9  # class-stratified
    assert sel.cost == pytest.approx(2.0)
    with pytest.raises(ValueError, match="data.gold_size"):
        selection_set(
            "gold", val, noisy(val), MajorityVote, gold_size=0, seed=0, price_per_image=None
        )


def test_truth_is_the_named_oracle_and_sources_without_val_answers_use_their_labels():
    val = split(50, "va", 1)
    oracle = selection_set(
        "truth", val, noisy(val), MajorityVote, gold_size=0, seed=0, price_per_image=None
    )
    assert oracle.by == "truth" and "ORACLE" in oracle.record()["note"]
    np.testing.assert_array_equal(oracle.labels, val.truth)
    own = selection_set(
        "crowd", val, source_labels(val), MajorityVote, gold_size=0, seed=0, price_per_image=None
    )
    assert own.by == "source" and "no crowd answers" in own.record()["note"]
    empty = CrowdLabels(
        answers=pd.DataFrame({"task": [], "worker": [], "label": []}, dtype=str),
        summary=LoadSummary(source="export"),
    )
    assert (
        selection_set(
            "crowd", val, empty, MajorityVote, gold_size=0, seed=0, price_per_image=None
        ).by
        == "source"
    )


def test_selection_is_an_enum(make_cfg):
    assert str(make_cfg("train", ["trainer.selection=gold"]).trainer.selection.name) == "gold"
    with pytest.raises(ConfigCompositionException):
        make_cfg("train", ["trainer.selection=test"])


def test_a_run_records_its_selection_in_metrics_and_model_card(smoke_run):
    cfg, metrics = smoke_run
    out = Path(cfg.paths.output_dir)
    record = json.loads((out / "metrics.json").read_text())["selection"]
    assert record["by"] == "crowd" and record["images"] > 0 and record["answers"] > 0
    assert metrics["selection/images"] == record["images"]
    card = (out / "model_card.md").read_text()
    assert "model selection (best epoch) | crowd" in card
    assert "(95% Wilson) |" in card.split("| stop recall |")[1].split("\n")[0]


def test_a_gold_run_prices_its_gold_set(make_cfg):
    from crowdsign.pipeline import train

    cfg = make_cfg(
        "train", ["debug=smoke", "trainer.epochs=1", "trainer.selection=gold", "data.gold_size=20"]
    )
    train(cfg)
    record = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())["selection"]
    assert record["by"] == "gold" and record["images"] == 20 and record["cost"] > 0


def test_seed_sets_subset_crowd_and_model_seeds_each_overridable(make_cfg):
    cfg = make_cfg("train", ["seed=3"])
    assert (cfg.data.subset_seed, cfg.crowd.seed, cfg.trainer.seed) == (3, 3, 3)
    cfg = make_cfg("train", ["seed=3", "trainer.seed=5", "data.subset_seed=1"])
    assert (cfg.data.subset_seed, cfg.crowd.seed, cfg.trainer.seed) == (1, 3, 5)


def test_subset_seed_changes_the_train_subset_only(make_cfg):
    from crowdsign.data.load import load_splits

    def splits(seed: int):
        cfg = make_cfg("train", ["debug=smoke", "data.train_size=64", f"data.subset_seed={seed}"])
        return load_splits(cfg.data)

    a, b = splits(0), splits(1)
    assert set(a.train.image_id) != set(b.train.image_id)
    assert len(a.train) == len(b.train) == 64
    np.testing.assert_array_equal(a.test.image_id, b.test.image_id)
    np.testing.assert_array_equal(a.val.image_id, b.val.image_id)
