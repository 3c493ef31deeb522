"""Simulated crowds: measured noise matches the configuration; structure, activity, seeding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.pools import (
    WORKER_TYPES,
    allocate,
    class_families,
    class_similarity,
    draw_pool,
    partners,
)
from crowdsign.crowd.simulate import (
    simulate_clean,
    simulate_crowd,
    simulate_pairflip,
    simulate_uniform,
    source_labels,
)
from crowdsign.data.imageset import ImageSet

BINARY = ("not_stop", "stop")
SIGNS = ("stop", "yield", "no_entry", "mandatory_blue_left", "mandatory_blue_right", "warning")


def images(n: int, names=BINARY, *, seed: int = 0, difficulty=None) -> ImageSet:
    rng = np.random.default_rng(seed)
    meta = pd.DataFrame() if difficulty is None else pd.DataFrame({"difficulty": difficulty})
    return ImageSet(
        images=np.zeros((n, 1, 1, 3), np.uint8),
        image_id=np.array([f"img/{i:05d}.png" for i in range(n)]),
        group=np.arange(n),
        class_names=names,
        truth=rng.integers(0, len(names), n),
        meta=meta,
    )


def right(crowd, imgs: ImageSet) -> np.ndarray:
    truth = pd.Series(np.asarray(imgs.class_names)[imgs.truth], index=imgs.image_id)
    return crowd.answers["label"].to_numpy() == truth.loc[crowd.answers["task"]].to_numpy()


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_uniform_noise_rate_and_spread(rate):
    imgs = images(3000, SIGNS)
    crowd = simulate_uniform(imgs, noise=rate, labels_per_image=3, seed=1)
    ok = right(crowd, imgs)
    assert abs((1 - ok.mean()) - rate) < 0.015  # 9000 answers: 4 sigma
    # wrong answers spread over all other classes, not just one
    truth = np.repeat(imgs.truth, 3)
    wrong_to = crowd.answers["label"].to_numpy()[~ok & (truth == 0)]
    assert len(set(wrong_to)) == len(SIGNS) - 1


def test_pairflip_sends_stop_to_a_red_sign():
    imgs = images(3000, SIGNS)
    crowd = simulate_pairflip(imgs, noise=0.3, seed=2)
    ok = right(crowd, imgs)
    assert abs((1 - ok.mean()) - 0.3) < 0.015
    truth = np.repeat(imgs.truth, 3)
    assert set(crowd.answers["label"].to_numpy()[~ok & (truth == 0)]) == {"yield"}
    assert list(partners(class_similarity(BINARY))) == [1, 0]


def test_clean_is_always_right_and_has_no_noise_knob():
    imgs = images(500)
    assert right(simulate_clean(imgs, seed=0), imgs).all()
    with pytest.raises(ValueError, match="no noise"):
        simulate_clean(imgs, noise=0.1)


def test_per_type_accuracy_matches_config_and_true_accuracy():
    imgs = images(6000)
    shares = dict(reliable=0.3, average=0.2, sloppy=0.2, spammer=0.1, adversarial=0.1)
    crowd = simulate_crowd(
        imgs, labels_per_image=5, n_workers=300, spammer_constant=0.1, seed=3, **shares
    )
    w = crowd.workers
    assert {"type", "accuracy"} <= set(w.columns)
    a = crowd.answers.assign(
        ok=right(crowd, imgs), type=w["type"].loc[crowd.answers["worker"]].to_numpy()
    )
    a["expected"] = w["accuracy"].loc[a["worker"]].to_numpy()
    by = a.groupby("type")[["ok", "expected"]].mean()
    for name in ("reliable", "average", "sloppy", "adversarial"):
        lo, hi = WORKER_TYPES[name].accuracy
        # measured against the drawn workers (tight) and against the type's range (looser)
        assert abs(by.loc[name, "ok"] - by.loc[name, "expected"]) < 0.02, name
        assert lo - 0.03 < by.loc[name, "ok"] < hi + 0.03, name
    assert abs(by.loc["spammer", "ok"] - 0.5) < 0.03
    # overall share of wrong answers is what the drawn pool implies
    assert abs(a["ok"].mean() - a["expected"].mean()) < 0.01
    # constant spammers always give one answer
    const = a[a["type"] == "spammer_constant"].groupby("worker")["label"].nunique()
    assert (const == 1).all() and len(const) == 30


def test_pool_has_exact_type_counts_and_noise_knob_sets_bad_share():
    assert allocate(10, {"reliable": 0.5, "average": 0.35, "spammer": 0.15}) == {
        "reliable": 5,
        "average": 4,
        "spammer": 1,
    }
    imgs = images(200)
    for noise in (0.0, 0.2, 0.6):
        w = simulate_crowd(imgs, n_workers=50, sloppy=0.1, adversarial=0.1, noise=noise).workers
        bad = (~w["type"].isin(["reliable", "average"])).mean()
        assert bad == pytest.approx(noise)
    more = simulate_crowd(imgs, n_workers=100, sloppy=0.1, noise=0.6, seed=5)
    less = simulate_crowd(imgs, n_workers=100, sloppy=0.1, noise=0.1, seed=5)
    assert right(more, imgs).mean() < right(less, imgs).mean()


def test_stop_confused_with_red_signs_far_more_than_blue():
    assert list(class_families(SIGNS)) == ["red", "red", "red", "blue", "blue", ""]
    assert list(class_families(BINARY)) == ["", "red"]
    s = class_similarity(SIGNS)
    assert s[0, 1] > 5 * s[0, 3] and np.allclose(s.sum(1), 1) and np.all(np.diag(s) == 0)
    imgs = images(4000, SIGNS)
    crowd = simulate_crowd(imgs, reliable=0.0, average=1.0, spammer=0.0, seed=4)
    truth = np.repeat(imgs.truth, 3)
    wrong = crowd.answers["label"].to_numpy()[(truth == 0) & ~right(crowd, imgs)]
    red = np.isin(wrong, ["yield", "no_entry"]).sum()
    blue = np.isin(wrong, ["mandatory_blue_left", "mandatory_blue_right"]).sum()
    assert red > 5 * max(blue, 1)


def test_confusion_matrices_are_full_and_differ_per_worker():
    pool = draw_pool(20, {"average": 1.0}, SIGNS, np.random.default_rng(0))
    m = pool.confusion
    assert m.shape == (20, 6, 6) and np.allclose(m.sum(2), 1) and (m > 0).all()
    assert not np.allclose(m[0], m[1])


def test_hard_images_get_worse_answers():
    d = np.tile([0.0, 1.0], 2000)
    imgs = images(4000, difficulty=d)
    crowd = simulate_crowd(imgs, reliable=1.0, average=0.0, spammer=0.0, difficulty_effect=0.8)
    ok = right(crowd, imgs)
    hard = np.repeat(d, 3) == 1.0
    assert ok[~hard].mean() > 0.9 and ok[hard].mean() < 0.7
    assert crowd.answers["seconds"][hard].median() > crowd.answers["seconds"][~hard].median()
    with pytest.raises(ValueError, match="difficulty"):
        simulate_crowd(images(10, difficulty=np.full(10, 2.0)))


def test_heavy_tailed_activity_and_one_answer_per_worker_and_task():
    imgs = images(2000)
    crowd = simulate_crowd(imgs, labels_per_image=5, n_workers=100, seed=6)
    a = crowd.answers
    assert not a.duplicated(["task", "worker"]).any()
    assert (a.groupby("task").size() == 5).all()
    counts = a["worker"].value_counts().to_numpy()
    assert counts[:10].sum() > 0.3 * len(a)  # top 10% of workers: > 30% of answers
    with pytest.raises(ValueError, match="pool size"):
        simulate_crowd(imgs, labels_per_image=101, n_workers=100)


def test_seeded_determinism():
    imgs = images(300, SIGNS)
    a = simulate_crowd(imgs, sloppy=0.1, adversarial=0.1, seed=11)
    b = simulate_crowd(imgs, sloppy=0.1, adversarial=0.1, seed=11)
    c = simulate_crowd(imgs, sloppy=0.1, adversarial=0.1, seed=12)
    pd.testing.assert_frame_equal(a.answers, b.answers)
    pd.testing.assert_frame_equal(a.workers, b.workers)
    assert not a.answers.equals(c.answers)


def test_old_call_shape_and_source_labels():
    imgs = images(100)
    crowd = simulate_crowd(
        imgs,
        labels_per_image=3,
        n_workers=20,
        reliable=0.5,
        average=0.35,
        spammer=0.15,
        difficulty_effect=0.5,
        seed=0,
    )
    assert list(crowd.answers.columns[:3]) == ["task", "worker", "label"]
    assert crowd.summary.read == crowd.summary.kept == 300
    src = source_labels(imgs)
    assert (src.answers["worker"] == "source").all() and right(src, imgs).all()
    with pytest.raises(ValueError, match="truth"):
        simulate_crowd(ImageSet(imgs.images, imgs.image_id, imgs.group, BINARY))
