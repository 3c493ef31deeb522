"""Class-conditional noise: per-class error rates, errors towards similar signs, a given matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.simulate import simulate_classcond, simulate_uniform
from crowdsign.data.imageset import ImageSet

BINARY = ("not_stop", "stop")


def images(n: int, names=BINARY, *, stop_share: float = 0.5, seed: int = 0) -> ImageSet:
    rng = np.random.default_rng(seed)
    if names == BINARY:
        truth = (rng.random(n) < stop_share).astype(np.int64)
    else:
        truth = rng.integers(0, len(names), n)
    return ImageSet(
        images=np.zeros((n, 1, 1, 3), np.uint8),
        image_id=np.array([f"i{i}" for i in range(n)]),
        group=np.arange(n),
        class_names=names,
        truth=truth,
    )


def confusion(crowd, im: ImageSet) -> np.ndarray:
    truth = pd.Series(np.asarray(im.class_names)[im.truth], index=im.image_id)
    t = truth.loc[crowd.answers["task"]].to_numpy()
    table = pd.crosstab(pd.Categorical(t, im.class_names), crowd.answers["label"].to_numpy())
    table = table.reindex(columns=im.class_names, fill_value=0).to_numpy(float)
    return table / table.sum(1, keepdims=True)


def test_stop_missed_at_noise_others_at_a_tenth():
    im = images(20_000)
    m = confusion(simulate_classcond(im, noise=0.3, labels_per_image=1, seed=1), im)
    assert m[1, 0] == pytest.approx(0.3, abs=0.015)  # stop answered not_stop
    assert m[0, 1] == pytest.approx(0.03, abs=0.006)  # not_stop answered stop


def test_rare_stop_targets_stay_mostly_right_unlike_symmetric_noise():
    im = images(40_000, stop_share=0.024, seed=2)  # GTSRB's share of stop signs
    is_stop = im.truth == 1

    def wrong_share_of_stop_answers(crowd) -> float:
        said = crowd.answers["label"].to_numpy() == "stop"
        return float((~is_stop[said]).mean())

    sym = wrong_share_of_stop_answers(simulate_uniform(im, noise=0.3, labels_per_image=1))
    cc = wrong_share_of_stop_answers(simulate_classcond(im, noise=0.3, labels_per_image=1))
    assert sym > 0.9 and cc < 0.7 and cc < sym - 0.2


def test_multiclass_errors_go_to_similar_signs():
    names = ("stop", "yield", "no_entry", "mandatory_blue")
    im = images(20_000, names, seed=3)
    m = confusion(simulate_classcond(im, noise=0.3, labels_per_image=1, seed=4), im)
    assert m[0, 0] == pytest.approx(0.7, abs=0.02)
    assert m[0, 1] + m[0, 2] > 10 * m[0, 3]  # a stop sign is taken for a red sign
    assert m[3, 3] == pytest.approx(0.97, abs=0.01)


def test_a_given_confusion_matrix_is_used_and_checked():
    im = images(20_000)
    given = [[0.9, 0.1], [0.2, 0.8]]
    m = confusion(simulate_classcond(im, confusion=given, labels_per_image=1, seed=5), im)
    np.testing.assert_allclose(m, given, atol=0.015)
    with pytest.raises(ValueError, match="rows summing to 1"):
        simulate_classcond(im, confusion=[[0.9, 0.2], [0.2, 0.8]])
    with pytest.raises(ValueError, match="likeliest"):
        simulate_classcond(im, confusion=[[0.4, 0.6], [0.2, 0.8]])


def test_classcond_composes_as_a_crowd_preset(make_cfg):
    from hydra.utils import instantiate

    cfg = make_cfg("train", ["crowd=classcond", "crowd.noise=0.2", "crowd.labels_per_image=1"])
    crowd = instantiate(cfg.crowd)(images(50))
    assert len(crowd.answers) == 50 and crowd.cost is not None
