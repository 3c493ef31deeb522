"""Nested crowds: an image's simulated answers depend on (crowd seed, image id) only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.simulate import simulate_crowd, simulate_pairflip, simulate_uniform
from crowdsign.crowd.streams import image_keys, normals, uniforms
from crowdsign.data.imageset import ImageSet

SIGNS = ("stop", "yield", "no_entry", "mandatory_blue_left", "warning")


def images(n: int, *, seed: int = 0) -> ImageSet:
    rng = np.random.default_rng(seed)
    return ImageSet(
        images=np.zeros((n, 1, 1, 3), np.uint8),
        image_id=np.array([f"img/{i:05d}.png" for i in range(n)]),
        group=np.arange(n),
        class_names=SIGNS,
        truth=rng.integers(0, len(SIGNS), n),
        meta=pd.DataFrame({"difficulty": rng.random(n)}),
    )


def by_task(crowd) -> dict[str, list[tuple[str, str, float]]]:
    out: dict[str, list] = {}
    for t, w, lab, s in crowd.answers[["task", "worker", "label", "seconds"]].itertuples(
        index=False
    ):
        out.setdefault(t, []).append((w, lab, s))
    return out


SIMULATORS = [
    lambda im, **kw: simulate_crowd(im, noise=0.4, **kw),
    lambda im, **kw: simulate_uniform(im, noise=0.3, **kw),
    lambda im, **kw: simulate_pairflip(im, noise=0.3, **kw),
]


@pytest.mark.parametrize("simulate", SIMULATORS)
def test_answers_of_an_image_do_not_depend_on_the_other_images(simulate):
    full = images(400)
    pick = np.sort(np.random.default_rng(1).choice(400, 120, replace=False))
    small = full.subset(pick)
    a, b = by_task(simulate(full, seed=7)), by_task(simulate(small, seed=7))
    assert set(b) == set(small.image_id)
    assert all(b[t] == a[t] for t in b)
    # order of the images does not matter either
    shuffled = full.subset(np.random.default_rng(2).permutation(400))
    assert by_task(simulate(shuffled, seed=7)) == a


@pytest.mark.parametrize("simulate", SIMULATORS)
def test_first_k_answers_are_the_same_for_every_k(simulate):
    im = images(200)
    one, three = (
        by_task(simulate(im, labels_per_image=1, seed=3)),
        by_task(simulate(im, labels_per_image=3, seed=3)),
    )
    assert all(three[t][:1] == one[t] for t in one)
    assert all(len({w for w, _, _ in three[t]}) == 3 for t in three)


def test_another_crowd_seed_gives_other_answers():
    im = images(300)
    a, b = simulate_crowd(im, seed=0).answers, simulate_crowd(im, seed=1).answers
    assert (a["worker"].to_numpy() != b["worker"].to_numpy()).mean() > 0.5


def test_streams_are_uniform_independent_and_keyed_by_id():
    keys = image_keys(np.array([f"x{i}" for i in range(20_000)]), seed=0)
    u = uniforms(keys, 0, 2)
    assert u.min() > 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.01 and abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.03
    assert abs(np.corrcoef(u[:, 0], uniforms(keys, 1, 1)[:, 0])[0, 1]) < 0.03
    z = normals(keys, 5, 1)
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    assert image_keys(np.array(["x3"]), 0)[0] == keys[3]
    assert image_keys(np.array(["x3"]), 1)[0] != keys[3]
