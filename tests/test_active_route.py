"""From whom: routing requests to workers estimated reliable, with exploration of new ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.active import AdaptiveStrategy, LoopSetup, ReplayOracle, assess, run_loop
from crowdsign.crowd.active.assess import expected_error_reduction
from crowdsign.crowd.aggregate import DawidSkene, MajorityVote
from crowdsign.crowd.simulate import simulate_crowd
from crowdsign.data.imageset import ImageSet

CLASSES = np.array(["not_stop", "stop"], dtype=object)


def _history(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Three workers answer every image: ``good`` (~95%), ``poor`` (~60%), ``mid`` (~80%)."""
    rng = np.random.default_rng(seed)
    tasks = np.array([f"t{i:03d}" for i in range(n)], dtype=object)
    truth = rng.integers(0, 2, n)
    rows = []
    for w, acc in (("good", 0.95), ("poor", 0.6), ("mid", 0.8)):
        right = rng.random(n) < acc
        rows += [
            (t, w, CLASSES[c if r else 1 - c]) for t, c, r in zip(tasks, truth, right, strict=True)
        ]
    return pd.DataFrame(rows, columns=["task", "worker", "label"]), tasks, truth


def _one_image_export() -> pd.DataFrame:
    return pd.DataFrame(
        {"task": "new", "worker": ["poor", "mid", "good", "newbie"], "label": "stop"}
    )


def test_routing_picks_the_worker_estimated_best():
    history, tasks, _ = _history()
    a = assess(history, tasks, CLASSES, DawidSkene(accuracy_prior=1.0), prior_strength=2.0)
    assert a.skills["good"] > a.skills["mid"] > a.skills["poor"]
    strategy = AdaptiveStrategy(route="greedy")
    oracle = ReplayOracle(_one_image_export(), np.array(["new"], dtype=object), seed=0)
    plan = pd.DataFrame({"task": ["new"], "wanted": [3]})
    router = strategy.router(a, np.random.default_rng(0))
    got = oracle.ask(plan, np.array(["new"], dtype=object), (), router)
    # the best known first; a never-seen worker is taken at the pool's mean accuracy
    assert got["worker"].iloc[0] == "good"
    assert list(got["worker"]) == sorted(got["worker"], key=lambda w: -router(np.array([w]))[0])
    assert "poor" not in set(got["worker"])


def test_thompson_routing_mostly_picks_the_best_but_explores_new_workers():
    history, tasks, _ = _history()
    a = assess(history, tasks, CLASSES, DawidSkene(accuracy_prior=1.0), prior_strength=2.0)
    strategy = AdaptiveStrategy(route="thompson")
    rng = np.random.default_rng(1)
    first = []
    for _ in range(300):
        oracle = ReplayOracle(_one_image_export(), np.array(["new"], dtype=object), seed=0)
        plan = pd.DataFrame({"task": ["new"], "wanted": [1]})
        got = oracle.ask(plan, np.array(["new"], dtype=object), (), strategy.router(a, rng))
        first.append(got["worker"].iloc[0])
    counts = pd.Series(first).value_counts()
    assert counts.idxmax() == "good"
    assert counts.get("newbie", 0) > 0  # a new worker still gets some tasks (exploration)
    assert counts.get("poor", 0) < counts.get("newbie", 0)


def test_random_route_keeps_the_seeded_order():
    export = _one_image_export()
    tasks = np.array(["new"], dtype=object)
    plan = pd.DataFrame({"task": ["new"], "wanted": [4]})
    got = ReplayOracle(export, tasks, seed=3).ask(plan, tasks, ())
    again = ReplayOracle(export, tasks, seed=3).ask(plan, tasks, (), None)
    assert list(got["worker"]) == list(again["worker"])
    assert sorted(got["worker"]) == sorted(export["worker"])


def test_routing_never_reveals_a_flagged_worker_or_a_repeat():
    export = pd.DataFrame(
        {"task": "new", "worker": ["spam", "good", "good", "mid"], "label": "stop"}
    )
    tasks = np.array(["new"], dtype=object)
    oracle = ReplayOracle(export, tasks, seed=0)

    def router(workers):  # prefers the spammer above all
        return np.array([10.0 if w == "spam" else 1.0 for w in workers])

    got = oracle.ask(pd.DataFrame({"task": ["new"], "wanted": [4]}), tasks, {"spam"}, router)
    assert sorted(got["worker"]) == ["good", "mid"]
    assert not oracle.can_ask({"spam"}).any()


def _images(n: int) -> ImageSet:
    rng = np.random.default_rng(0)
    return ImageSet(
        images=np.zeros((n, 1, 1, 3), np.uint8),
        image_id=np.array([f"img{i:03d}" for i in range(n)], dtype=object),
        group=np.arange(n),
        class_names=tuple(CLASSES),
        truth=rng.integers(0, 2, n).astype(np.int64),
        meta=pd.DataFrame({"difficulty": rng.beta(2, 5, n)}),
    )


@pytest.mark.parametrize("route", ["thompson", "greedy", "random"])
def test_exploration_leaves_no_image_unanswered_at_one_answer_per_image(route):
    images = _images(100)
    crowd = simulate_crowd(images, labels_per_image=5, n_workers=15, noise=0.3, seed=2)
    setup = LoopSetup(images.image_id, CLASSES, MajorityVote, truth=images.truth)
    strategy = AdaptiveStrategy(explore=0.2, route=route)
    oracle = ReplayOracle(crowd.answers, images.image_id, seed=0)
    result = run_loop(setup, strategy, oracle, checkpoints=[100], batch_size=10, seed=0)
    assert len(result.answers) == 100
    assert result.answers["task"].nunique() == 100  # the budget had no answer to spare


def test_expected_error_reduction():
    q = np.array([[0.5, 0.5], [0.99, 0.01], [0.7, 0.3]])
    eer = expected_error_reduction(q, 0.8)
    assert eer[0] == pytest.approx(0.3)  # one 80% answer decides a coin flip: 0.5 -> 0.8
    assert eer[1] == pytest.approx(0.0)  # one answer cannot overturn a sure image
    assert 0.0 <= eer[2] <= eer[0]


def test_unknown_route_is_rejected():
    with pytest.raises(ValueError, match="strategy.route"):
        AdaptiveStrategy(route="best")


def test_next_batch_routes_to_the_best_unflagged_workers_not_on_the_image(tmp_path):
    from crowdsign.crowd.active.batch import next_batch
    from crowdsign.crowd.active.report import write_next_batch
    from crowdsign.crowd.cost import CostModel

    history, tasks, truth = _history()
    rng = np.random.default_rng(5)
    spam = pd.DataFrame(
        {"task": tasks, "worker": "spam", "label": CLASSES[rng.integers(0, 2, len(tasks))]}
    )
    extra = np.array([f"x{i}" for i in range(20)], dtype=object)
    so_far = pd.concat(
        [history, spam, pd.DataFrame({"task": extra[:5], "worker": "good", "label": "stop"})],
        ignore_index=True,
    )
    nb = next_batch(
        np.concatenate([tasks, extra]),
        CLASSES,
        so_far,
        estimator=DawidSkene(accuracy_prior=1.0),
        strategy=AdaptiveStrategy(),
        cost=CostModel(reward=0.01),
        dollars=100.0,
        size=20,
    )
    assert "spam" in nb.assessment.flagged
    table = pd.read_csv(write_next_batch(nb, so_far, tmp_path, 100.0), keep_default_na=False)
    done = so_far.groupby("task")["worker"].agg(set)
    for image, route in zip(table["image"], table["route_to"], strict=True):
        workers = route.split(";") if route else []
        assert "spam" not in workers
        assert not set(workers) & done.get(image, set())  # nobody twice on one image
        if image not in done.index:
            assert workers[0] == "good"  # the best estimated worker first
    assert (~table["image"].isin(done.index)).any()
