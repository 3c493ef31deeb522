"""Gold answers reach the aggregator in training; flagged spammers can be left out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.aggregate import DawidSkene, MajorityVote
from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.io.gold import read_gold
from crowdsign.crowd.io.toloka import read_toloka
from crowdsign.crowd.simulate import simulate_crowd
from crowdsign.data.imageset import ImageSet
from crowdsign.errors import InputError, MissingInputError
from crowdsign.training.targets import aggregate_targets, crowd_targets

NAMES = ("not_stop", "stop")


def images(n: int, seed: int = 0) -> ImageSet:
    rng = np.random.default_rng(seed)
    return ImageSet(
        images=np.zeros((n, 1, 1, 3), np.uint8),
        image_id=np.array([f"img{i}.png" for i in range(n)]),
        group=np.arange(n),
        class_names=NAMES,
        truth=rng.integers(0, 2, n),
    )


def test_toloka_golden_column_becomes_gold(tmp_path):
    rows = [
        ("a.png", "stop", "w1", "stop"),
        ("a.png", "not_stop", "w2", "stop"),
        ("b.png", "not_stop", "w1", ""),
        ("c.png", "stop", "w2", "not_stop"),
    ]
    df = pd.DataFrame(
        rows, columns=["INPUT:image", "OUTPUT:result", "ASSIGNMENT:worker_id", "GOLDEN:result"]
    )
    path = tmp_path / "assignments.tsv"
    df.to_csv(path, sep="\t", index=False)
    crowd = read_toloka(path=path, check_files=False)
    assert crowd.gold.to_dict() == {"a.png": "stop", "c.png": "not_stop"}
    assert len(crowd.answers) == 4  # gold questions are answers too


def test_gold_file_is_read_and_bad_rows_are_named(tmp_path):
    good = tmp_path / "gold.csv"
    good.write_text("task,label\nimg1.png,stop\nimg2.png,yes\n")
    gold = read_gold(good, NAMES, {"stop": ["yes"]})
    assert gold.to_dict() == {"img1.png": "stop", "img2.png": "stop"}
    bad = tmp_path / "bad.csv"
    bad.write_text("task,label\nimg1.png,stop\nimg2.png,maybe\n")
    with pytest.raises(InputError, match=r"bad.csv, row 3, column label: 'maybe'"):
        read_gold(bad, NAMES)
    with pytest.raises(MissingInputError, match="no such file"):
        read_gold(tmp_path / "nope.csv", NAMES)


def test_the_aggregator_gets_the_gold_labels():
    im = images(200)
    crowd = simulate_crowd(im, noise=0.5, labels_per_image=3, seed=1)
    names = np.asarray(NAMES)
    gold = pd.Series(names[1 - im.truth[:40]], index=im.image_id[:40])  # deliberately "wrong"
    with_gold = aggregate_targets(im, crowd, MajorityVote(), gold)
    assert with_gold.gold_tasks == 40
    np.testing.assert_array_equal(with_gold.hard[:40], 1 - im.truth[:40])  # gold is kept
    crowd = CrowdLabels(crowd.answers, crowd.summary, gold=gold)
    assert crowd_targets(im, crowd, MajorityVote).gold_tasks == 40


def test_exclude_flagged_drops_spammers_and_refits():
    im = images(4000, seed=2)  # ~600 answers per worker: enough to tell a spammer
    crowd = simulate_crowd(
        im,
        labels_per_image=3,
        n_workers=20,
        reliable=0.6,
        average=0.1,
        spammer=0.3,
        activity_exponent=0.0,
        seed=3,
    )
    plain = crowd_targets(im, crowd, DawidSkene)
    cleaned = crowd_targets(im, crowd, DawidSkene, exclude_flagged=True)
    spammers = set(crowd.workers.index[crowd.workers["type"] == "spammer"])
    assert plain.excluded == ()
    assert len(cleaned.excluded) >= 3 and set(cleaned.excluded) <= spammers
    assert not set(cleaned.excluded) & set(cleaned.codes.worker_ids)
    assert cleaned.codes.n_answers < plain.codes.n_answers


def test_training_records_gold_and_exclusions(make_cfg, tmp_path):
    from crowdsign.pipeline import train

    gold = tmp_path / "gold.csv"
    cfg0 = make_cfg("train", ["debug=smoke"])
    from crowdsign.data.load import load_splits

    train_ids = load_splits(cfg0.data).train.image_id[:10]
    gold.write_text("task,label\n" + "".join(f"{t},stop\n" for t in train_ids))
    cfg = make_cfg(
        "train",
        ["debug=smoke", "trainer.epochs=1", f"crowd.gold={gold}", "aggregate.exclude_flagged=true"],
    )
    train(cfg)
    facts = json.loads((Path(cfg.paths.output_dir) / "crowd" / "targets.json").read_text())
    assert facts["gold_tasks"] == 10 and isinstance(facts["excluded_workers"], list)


def test_a_gold_file_joins_the_exports_own_gold(tmp_path):
    df = pd.DataFrame(
        [("a.png", "stop", "w1", "stop"), ("b.png", "not_stop", "w1", "")],
        columns=["INPUT:image", "OUTPUT:result", "ASSIGNMENT:worker_id", "GOLDEN:result"],
    )
    path = tmp_path / "assignments.tsv"
    df.to_csv(path, sep="\t", index=False)
    extra = tmp_path / "gold.csv"
    extra.write_text("task,label\nb.png,not_stop\na.png,not_stop\n")
    crowd = read_toloka(path=path, check_files=False, gold=str(extra))
    assert crowd.gold.to_dict() == {"a.png": "stop", "b.png": "not_stop"}  # the export's first


def test_simulated_crowds_take_a_gold_file(tmp_path):
    im = images(20)
    extra = tmp_path / "gold.csv"
    extra.write_text("task,label\nimg1.png,stop\n")
    assert simulate_crowd(im, seed=0, gold=str(extra)).gold.to_dict() == {"img1.png": "stop"}
