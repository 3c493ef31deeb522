"""The labeling loop on tiny simulated exports: budget, settling, spammers, replay honesty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.active import (
    AdaptiveStrategy,
    LabelError,
    LoopSetup,
    ReplayOracle,
    UniformStrategy,
    assess,
    run_loop,
)
from crowdsign.crowd.active.batch import next_batch
from crowdsign.crowd.active.replay import budget_grid, goal, replay, summarise
from crowdsign.crowd.aggregate import GLAD, DawidSkene, MajorityVote, OneCoinDawidSkene, Wawa
from crowdsign.crowd.cost import CostModel
from crowdsign.crowd.simulate import simulate_clean, simulate_crowd
from crowdsign.data.imageset import ImageSet

AGGREGATORS = [
    MajorityVote,
    Wawa,
    lambda: DawidSkene(accuracy_prior=1.0),
    lambda: OneCoinDawidSkene(accuracy_prior=1.0),
    GLAD,
]


def _images(n: int, classes=("not_stop", "stop"), seed: int = 0) -> ImageSet:
    rng = np.random.default_rng(seed)
    return ImageSet(
        images=np.zeros((n, 1, 1, 3), np.uint8),
        image_id=np.array([f"img{i:03d}" for i in range(n)], dtype=object),
        group=np.arange(n),
        class_names=tuple(classes),
        truth=rng.integers(0, len(classes), n).astype(np.int64),
        meta=pd.DataFrame({"difficulty": rng.beta(2, 5, n)}),
    )


def _setup(images: ImageSet, make=MajorityVote) -> LoopSetup:
    return LoopSetup(
        tasks=images.image_id,
        classes=np.asarray(images.class_names, dtype=object),
        make_estimator=make,
        truth=images.truth,
    )


class Watch:
    """A strategy wrapper that checks every plan against the assessment it came from."""

    def __init__(self, inner) -> None:
        self.inner, self.plans = inner, []
        self.settle, self.prior_accuracy = inner.settle, inner.prior_accuracy
        self.prior_strength, self.block_flagged = inner.prior_strength, inner.block_flagged
        self.router = getattr(inner, "router", None)

    def plan(self, a, n, *, can_ask, rng, left=None):
        plan = self.inner.plan(a, n, can_ask=can_ask, rng=rng, left=left)
        pos = pd.Index(a.tasks).get_indexer(plan["task"])
        self.plans.append((plan, a.settled[pos].copy(), set(a.flagged)))
        return plan


@pytest.mark.parametrize("make", AGGREGATORS)
@pytest.mark.parametrize("classes", [("not_stop", "stop"), ("stop", "yield", "no_entry", "other")])
def test_budget_never_exceeded_and_settled_never_asked(make, classes):
    images = _images(40, classes)
    crowd = simulate_crowd(images, labels_per_image=5, n_workers=12, noise=0.3, seed=1)
    watch = Watch(AdaptiveStrategy())
    oracle = ReplayOracle(crowd.answers, images.image_id, seed=0)
    result = run_loop(
        _setup(images, make), watch, oracle, checkpoints=[50, 77], batch_size=9, seed=0
    )
    assert result.history["answers"].tolist()[0] <= 50
    assert len(result.answers) <= 77
    for plan, settled, _ in watch.plans:
        assert not settled.any()
        assert len(plan) <= 9


def test_flagged_spammer_never_routed_work():
    images = _images(450)
    good = simulate_clean(images, labels_per_image=3, n_workers=3, seed=0).answers
    rng = np.random.default_rng(99)  # not the truth's seed
    names = np.asarray(images.class_names, dtype=object)
    spam = pd.DataFrame(  # answers every image at random
        {"task": images.image_id, "worker": "spammer", "label": names[rng.integers(0, 2, 450)]}
    )
    old = images.image_id[:400]  # answers bought before: enough to flag the spammer
    history = pd.concat([good, spam], ignore_index=True)
    initial = history[history["task"].isin(old)]
    oracle = ReplayOracle(history[~history["task"].isin(old)], images.image_id, seed=3)
    asked: list[tuple[set, pd.DataFrame]] = []
    real_ask = oracle.ask

    def ask(plan, tasks, flagged=(), router=None):
        got = real_ask(plan, tasks, flagged, router)
        asked.append((set(flagged), got))
        return got

    oracle.ask = ask
    run_loop(
        _setup(images),
        AdaptiveStrategy(),
        oracle,
        checkpoints=[150],
        batch_size=10,
        seed=0,
        initial=initial,
    )
    assert asked and all("spammer" in flagged for flagged, _ in asked)
    for flagged, got in asked:
        assert not (set(got["worker"]) & flagged)


def test_oracle_skips_flagged_and_repeat_workers():
    export = pd.DataFrame(
        {"task": ["a", "a", "a", "a"], "worker": ["w1", "spam", "w1", "w2"], "label": "x"}
    )
    oracle = ReplayOracle(export, np.array(["a"], dtype=object), seed=0)
    plan = pd.DataFrame({"task": ["a"], "wanted": [4]})
    got = oracle.ask(plan, np.array(["a"], dtype=object), {"spam"})
    assert sorted(got["worker"]) == ["w1", "w2"]  # w1 once, spam never
    assert not oracle.can_ask({"spam"}).any()


def test_perfect_pool_one_answer_per_image():
    images = _images(80)
    export = simulate_clean(images, labels_per_image=3, n_workers=5, seed=0).answers
    calibration = images.image_id[:20]  # every worker's skill known from 20 shared images
    initial = pd.concat(
        [
            pd.DataFrame({"task": calibration, "worker": w, "label": "x"})
            for w in sorted(export["worker"].unique())
        ],
        ignore_index=True,
    )
    names = np.asarray(images.class_names, dtype=object)
    initial["label"] = names[images.truth[pd.Index(images.image_id).get_indexer(initial.task)]]
    rest = export[~export["task"].isin(calibration)]
    oracle = ReplayOracle(rest, images.image_id, seed=0)
    result = run_loop(
        _setup(images, lambda: DawidSkene(accuracy_prior=1.0)),
        AdaptiveStrategy(),
        oracle,
        checkpoints=[180],
        batch_size=15,
        seed=0,
        initial=initial,
    )
    bought = result.answers.iloc[len(initial) :]
    assert bought.groupby("task").size().eq(1).all()
    assert len(bought) == 60  # one per new image, then every image settled
    assert result.last.settled.all()
    assert "every image settled" in result.notes[0]


def test_replay_reveals_only_existing_answers():
    images = _images(30)
    crowd = simulate_crowd(images, labels_per_image=2, n_workers=8, noise=0.3, seed=2)
    export = crowd.answers
    for strategy in (AdaptiveStrategy(), UniformStrategy()):
        oracle = ReplayOracle(export, images.image_id, seed=5)
        result = run_loop(_setup(images), strategy, oracle, checkpoints=[200], batch_size=7, seed=0)
        keys = ["task", "worker", "label"]
        merged = result.answers[keys].merge(export[keys], how="left", indicator=True)
        assert (merged["_merge"] == "both").all()
        assert not result.answers.duplicated(["task", "worker"]).any()
        assert len(result.answers) <= len(export)
        assert result.notes  # the budget (200) is more than the export holds (60)


def test_replay_grid_rows_and_goal():
    images = _images(50)
    crowd = simulate_crowd(images, labels_per_image=5, n_workers=10, noise=0.3, seed=0)
    names = np.asarray(images.class_names, dtype=object)
    truth = pd.Series(names[images.truth], index=images.image_id)
    notes: list[str] = []
    rows = replay(
        crowd.answers,
        truth.iloc[:40],  # 10 tasks without truth: used, not scored
        strategies={"adaptive": AdaptiveStrategy(), "uniform": UniformStrategy()},
        make_estimator=MajorityVote,
        budgets=budget_grid(3, 1.0),
        batch_size=10,
        seeds=[0, 1],
        cost=CostModel(reward=0.01),
        notes=notes,
    )
    assert len(rows) == 2 * 2 * 3
    assert (rows["scored"] == 40).all()
    uni = rows[rows.strategy == "uniform"]
    assert np.allclose(uni["answers"], uni["budget_per_task"] * 50)
    assert np.allclose(uni["cost"], uni["answers"] * 0.012)  # reward + 20% fee
    s = summarise(rows)
    assert set(s["seeds"]) == {2}
    g = goal(s)
    assert g["k"] == 3.0 and "reached" in g


def test_budget_grid_rejects_less_than_one_answer():
    with pytest.raises(LabelError, match="below one answer per image"):
        budget_grid(0.5, 0.25)


def test_next_batch_budget_and_notes():
    images = _images(10)
    answers = simulate_clean(images, labels_per_image=1, n_workers=3, seed=0).answers
    kw = dict(
        estimator=MajorityVote(),
        strategy=AdaptiveStrategy(),
        cost=CostModel(reward=0.05, fee=0.2),
    )
    tasks, classes = images.image_id, np.asarray(images.class_names, dtype=object)
    # 10 answers so far cost $0.60; $1.00 leaves 6 answers of $0.06
    nb = next_batch(tasks, classes, answers, dollars=1.0, size=50, **kw)
    assert int(nb.plan["wanted"].sum()) <= 6 and nb.affordable == 6
    assert any("cut to 6" in n for n in nb.notes)
    assert nb.cost is not None and nb.cost.total <= 0.4 + 1e-9
    with pytest.raises(LabelError, match="below one answer per image"):
        next_batch(tasks, classes, answers, dollars=0.5, size=5, **kw)
    with pytest.raises(LabelError, match="is spent"):
        next_batch(tasks, classes, answers, dollars=0.6, size=5, **kw)


@pytest.mark.parametrize("make", AGGREGATORS)
def test_assess_with_model_probabilities(make):
    images = _images(20)
    answers = simulate_clean(images, labels_per_image=1, n_workers=3, seed=0).answers
    classes = np.asarray(images.class_names, dtype=object)
    probs = np.eye(2)[images.truth] * 0.9 + 0.05  # a model that agrees with the (clean) labels
    plain = assess(answers, images.image_id, classes, make())
    with_model = assess(answers, images.image_id, classes, make(), model_probs=probs)
    assert with_model.model_weight > 0
    assert (with_model.p_top >= plain.p_top - 1e-9).all()
    assert with_model.gain.sum() < plain.gain.sum()


def test_prior_alone_never_settles_an_image_its_answers_dispute():
    # 60 images two workers agree are not_stop; on "x" they split. The class prior (60:1) makes
    # q(not_stop | x) high, and the vote may call it not_stop, but half of its answers say stop:
    # dynamic overlap keeps it open (a rare class would otherwise never get a second look).
    tasks = np.array([f"t{i}" for i in range(60)] + ["x"], dtype=object)
    rows = [(t, w, "not_stop") for t in tasks[:-1] for w in ("a", "b")]
    rows += [("x", "a", "stop"), ("x", "b", "not_stop")]
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    classes = np.array(["not_stop", "stop"], dtype=object)
    a = assess(answers, tasks, classes, MajorityVote(), settle=0.9)
    x = len(tasks) - 1
    assert a.q[x].max() >= 0.9 and a.q[x].argmax() == a.labels[x]  # the old rule's "settled"
    assert not a.settled[x]
    assert a.settled[:x].all()  # agreeing answers do settle
    one = answers[answers["task"] != "x"]
    one = pd.concat([one, pd.DataFrame([("x", "a", "stop")], columns=one.columns)])
    b = assess(one, tasks, classes, MajorityVote(), settle=0.9)
    assert not b.settled[x]  # one answer saying stop, prior says not_stop: open
