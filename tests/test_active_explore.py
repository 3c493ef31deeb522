"""Exploration phase and the empirical-Bayes worker prior of the adaptive strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.active import AdaptiveStrategy, LoopSetup, ReplayOracle, assess, run_loop
from crowdsign.crowd.aggregate import DawidSkene, MajorityVote
from crowdsign.crowd.simulate import simulate_crowd
from crowdsign.data.imageset import ImageSet


def _images(n: int, seed: int = 0) -> ImageSet:
    rng = np.random.default_rng(seed)
    return ImageSet(
        images=np.zeros((n, 1, 1, 3), np.uint8),
        image_id=np.array([f"img{i:03d}" for i in range(n)], dtype=object),
        group=np.arange(n),
        class_names=("not_stop", "stop"),
        truth=rng.integers(0, 2, n).astype(np.int64),
        meta=pd.DataFrame({"difficulty": rng.beta(2, 5, n)}),
    )


def _first_pass_extras(answers: pd.DataFrame) -> tuple[int, int]:
    """Answers that were not an image's first, bought before the last image's first answer;
    and the images that had two or more answers by then."""
    first = ~answers["task"].duplicated()
    end = int(np.flatnonzero(first.to_numpy())[-1])
    before = answers.iloc[: end + 1]
    return int((~first.iloc[: end + 1]).sum()), int((before["task"].value_counts() >= 2).sum())


@pytest.mark.parametrize("explore, repeats", [(0.1, 2), (0.2, 3)])
def test_exploration_never_exceeds_its_share(explore, repeats):
    images = _images(100)
    crowd = simulate_crowd(images, labels_per_image=5, n_workers=15, noise=0.3, seed=2)
    setup = LoopSetup(images.image_id, np.asarray(images.class_names, dtype=object), MajorityVote)
    strategy = AdaptiveStrategy(explore=explore, explore_answers=repeats)
    oracle = ReplayOracle(crowd.answers, images.image_id, seed=0)
    result = run_loop(setup, strategy, oracle, checkpoints=[180], batch_size=10, seed=0)
    extra, multi = _first_pass_extras(result.answers)
    quota = int(explore * len(images.image_id))
    assert 0 < extra <= quota * (repeats - 1)
    assert multi <= quota
    assert result.answers["task"].nunique() == 100  # the first pass still covers every image


def test_no_exploration_finishes_the_first_pass_first():
    images = _images(60)
    crowd = simulate_crowd(images, labels_per_image=4, n_workers=10, noise=0.3, seed=1)
    setup = LoopSetup(images.image_id, np.asarray(images.class_names, dtype=object), MajorityVote)
    oracle = ReplayOracle(crowd.answers, images.image_id, seed=0)
    result = run_loop(setup, AdaptiveStrategy(), oracle, checkpoints=[100], batch_size=7, seed=0)
    assert _first_pass_extras(result.answers) == (0, 0)


def test_pooled_prior_shrinks_a_one_answer_worker_to_the_pool_mean():
    rng = np.random.default_rng(0)
    tasks = np.array([f"t{i:03d}" for i in range(200)], dtype=object)
    truth = rng.integers(0, 2, len(tasks))
    rows = []
    for w in range(6):  # six workers at ~70% answer every image: the pool mean is ~0.7
        right = rng.random(len(tasks)) < 0.7
        rows += [
            (t, f"w{w}", int(c if r else 1 - c))
            for t, c, r in zip(tasks, truth, right, strict=True)
        ]
    rows.append((tasks[0], "newbie", int(truth[0])))  # one answer, on a shared image
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    answers["label"] = np.array(["not_stop", "stop"], dtype=object)[answers["label"]]
    classes = np.array(["not_stop", "stop"], dtype=object)
    kw = dict(prior_accuracy=0.99, prior_strength=5.0)
    fixed = assess(answers, tasks, classes, DawidSkene(accuracy_prior=1.0), **kw)
    pooled = assess(
        answers, tasks, classes, DawidSkene(accuracy_prior=1.0), pooled_prior=True, **kw
    )
    pool = float(pooled.skills.drop("newbie").mean())
    assert abs(pool - 0.7) < 0.06
    assert fixed.skills["newbie"] > 0.9  # pulled to the fixed 0.99
    assert abs(pooled.skills["newbie"] - pool) < abs(fixed.skills["newbie"] - pool) - 0.1
    # a worker with many answers keeps (nearly) their own estimate
    assert abs(pooled.skills["w0"] - fixed.skills["w0"]) < 0.01
