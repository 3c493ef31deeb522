"""The synthetic world: deterministic, balanced as configured, cached by config."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crowdsign.data.synthetic import CLASSES, load_synthetic
from crowdsign.data.synthetic.world import NOT_STOP_WEIGHTS, _kind_for, render_range

SMALL = dict(image_size=32, n_train=120, n_val=40, n_test=40, decode_workers=1)


def test_render_is_deterministic_and_independent_of_chunking():
    a, meta_a = render_range(7, "train", 0, 20, 32, 0.4)
    b, _ = render_range(7, "train", 10, 20, 32, 0.4)
    again, meta_again = render_range(7, "train", 0, 20, 32, 0.4)
    np.testing.assert_array_equal(a, again)
    np.testing.assert_array_equal(a[10:], b)  # image i depends only on (seed, split, i)
    assert meta_a == meta_again
    other, _ = render_range(8, "train", 0, 20, 32, 0.4)
    assert not np.array_equal(a, other)


def test_splits_differ_and_have_expected_shapes(tmp_path):
    s = load_synthetic(cache_dir=str(tmp_path), **SMALL)
    assert s.train.images.shape == (120, 32, 32, 3) and s.train.images.dtype == np.uint8
    assert len(s.val) == 40 and len(s.test) == 40
    assert not np.array_equal(s.train.images[:40], s.val.images)
    assert s.class_names == ("not_stop", "stop")
    assert set(np.unique(s.train.truth)) == {0, 1}
    assert s.train.meta["difficulty"].between(0, 1).all()


def test_class_balance_follows_stop_fraction(tmp_path):
    s = load_synthetic(
        cache_dir=str(tmp_path),
        image_size=16,
        n_train=600,
        n_val=10,
        n_test=10,
        stop_fraction=0.3,
        decode_workers=1,
    )
    assert abs(s.train.truth.mean() - 0.3) < 0.075  # binomial sd ≈ 0.019
    rng = np.random.default_rng(0)
    kinds = pd.Series([_kind_for(rng, 0.3) for _ in range(20_000)]).value_counts()
    assert abs(kinds["stop"] / 20_000 - 0.3) < 0.02
    total, n_other = sum(NOT_STOP_WEIGHTS.values()), 20_000 - kinds["stop"]
    for name, weight in NOT_STOP_WEIGHTS.items():  # the rest is shared by the configured weights
        expected = n_other * weight / total
        assert abs(kinds.get(name, 0) - expected) < 4 * np.sqrt(expected) + 5, name
    assert set(kinds.index) == set(CLASSES)


def test_cache_reused_and_rebuilt_on_change(tmp_path):
    load_synthetic(cache_dir=str(tmp_path), **SMALL)
    assert len(list(tmp_path.iterdir())) == 1
    again = load_synthetic(cache_dir=str(tmp_path), **SMALL)
    assert isinstance(again.train.images, np.memmap)  # loaded, not rendered
    assert len(list(tmp_path.iterdir())) == 1
    load_synthetic(cache_dir=str(tmp_path), **{**SMALL, "stop_fraction": 0.5})
    assert len(list(tmp_path.iterdir())) == 2


def test_stop_images_are_redder_than_blue_sign_images(tmp_path):
    s = load_synthetic(cache_dir=str(tmp_path), task="multiclass", **SMALL)
    img = s.train.images.astype(float)
    redness = (img[..., 0] - img[..., 2]).mean(axis=(1, 2))
    kind = s.train.meta["kind"].to_numpy()
    assert redness[kind == "stop"].mean() > redness[kind == "mandatory_blue"].mean() + 10


@pytest.mark.parametrize("bad", [{"task": "regression"}, {"stop_fraction": 1.5}])
def test_bad_arguments_are_clear(tmp_path, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        load_synthetic(cache_dir=str(tmp_path), **{**SMALL, **bad})
