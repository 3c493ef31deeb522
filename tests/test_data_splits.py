"""Group-aware stratified splits and nested training subsets (crowdsign.data.splits)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdsign.data.imageset import ImageSet, Splits
from crowdsign.data.splits import (
    apply_train_size,
    group_split,
    nested_subset,
    resolve_size,
    split_imageset,
    validation_set,
)


def tracks(n_classes: int = 4, tracks_per_class: int = 20, frames: int = 30, seed: int = 0):
    """GTSRB-like labels: ``(truth, group)`` with groups of up to ``frames`` images, one class."""
    rng = np.random.default_rng(seed)
    truth, group = [], []
    g = 0
    for c in range(n_classes):
        for _ in range(tracks_per_class):
            k = int(rng.integers(5, frames + 1))
            truth += [c] * k
            group += [g] * k
            g += 1
    return np.asarray(truth), np.asarray(group)


def test_group_split_never_leaks_a_group_and_covers_every_image():
    truth, group = tracks()
    parts = group_split(truth, group, (0.8, 0.1, 0.1), seed=3)
    sets = [set(group[p]) for p in parts]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(truth)))


def test_group_split_is_stratified_and_near_the_fractions():
    truth, group = tracks(n_classes=3, tracks_per_class=40)
    train, val, test = group_split(truth, group, (0.7, 0.15, 0.15), seed=0)
    for c in range(3):
        n_c = (truth == c).sum()
        for part, frac in ((train, 0.7), (val, 0.15), (test, 0.15)):
            share = (truth[part] == c).sum() / n_c
            assert abs(share - frac) < 0.06, (c, frac, share)


def test_group_split_reaches_every_split_with_three_groups_of_a_class():
    truth = np.asarray([0] * 30 + [1] * 9)
    group = np.asarray([0] * 10 + [1] * 10 + [2] * 10 + [3, 4, 5, 6, 7, 8, 9, 10, 11])
    for seed in range(5):
        parts = group_split(truth, group, (0.8, 0.1, 0.1), seed=seed)
        for p in parts:
            assert set(truth[p]) == {0, 1}


def test_group_split_is_seeded():
    truth, group = tracks()
    a = group_split(truth, group, seed=1)
    b = group_split(truth, group, seed=1)
    c = group_split(truth, group, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


def test_group_split_zero_fraction_leaves_split_empty():
    truth, group = tracks(n_classes=2)
    train, val, test = group_split(truth, group, (0.9, 0.1, 0.0), seed=0)
    assert len(test) == 0 and len(val) > 0


@pytest.mark.parametrize(
    "fractions", [(0.5, 0.5), (0.8, 0.3, 0.1), (0.0, 0.5, 0.5), (1.1, -0.1, 0)]
)
def test_group_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="split_fractions"):
        group_split(np.zeros(4, dtype=int), np.arange(4), fractions)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 15)), min_size=1, max_size=120),
    st.integers(0, 2**31 - 1),
)
def test_no_group_straddles_splits_for_any_input(rows, seed):
    truth = np.asarray([r[0] for r in rows])
    group = np.asarray([r[1] for r in rows])  # a group may even hold several classes
    parts = group_split(truth, group, (0.6, 0.2, 0.2), seed=seed)
    owner = np.full(len(rows), -1)
    for k, p in enumerate(parts):
        owner[p] = k
    assert (owner >= 0).all()
    for g in np.unique(group):
        assert len(set(owner[group == g])) == 1


def test_nested_subsets_contain_each_other_and_are_stratified():
    rng = np.random.default_rng(0)
    truth = rng.choice(3, size=5000, p=[0.9, 0.075, 0.025])
    small, large = nested_subset(truth, 1000, seed=7), nested_subset(truth, 2000, seed=7)
    assert len(small) == 1000 and len(large) == 2000
    assert set(small) <= set(large)
    for c in range(3):
        expected = (truth == c).mean() * 1000
        assert abs((truth[small] == c).sum() - expected) < 1.0
    assert set(nested_subset(truth, 1000, seed=8)) != set(small)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300), st.integers(0, 1000))
def test_nested_for_any_pair_of_sizes(a, b, seed):
    truth = np.random.default_rng(seed).integers(0, 4, size=300)
    lo, hi = sorted((a, b))
    assert set(nested_subset(truth, lo, seed)) <= set(nested_subset(truth, hi, seed))


def test_resolve_size_counts_fractions_and_errors():
    assert resolve_size(None, 50) == 50
    assert resolve_size(10, 50) == 10
    assert resolve_size(0.5, 50) == 25
    assert resolve_size(1.0, 50) == 50
    with pytest.raises(ValueError, match="fraction"):
        resolve_size(1000.0, 50)
    with pytest.raises(ValueError, match="outside"):
        resolve_size(51, 50)
    with pytest.raises(ValueError, match="train_size"):
        resolve_size("10", 50)


def _imageset(truth: np.ndarray, group: np.ndarray) -> ImageSet:
    n = len(truth)
    return ImageSet(
        images=np.zeros((n, 4, 4, 3), dtype=np.uint8),
        image_id=np.asarray([f"img{i}" for i in range(n)]),
        group=group.astype(np.int64),
        class_names=("a", "b", "c", "d"),
        truth=truth.astype(np.int64),
        meta=pd.DataFrame({"i": np.arange(n)}),
    )


def test_apply_train_size_shrinks_only_train():
    truth, group = tracks()
    splits = split_imageset(_imageset(truth, group), (0.8, 0.1, 0.1), seed=0)
    small = apply_train_size(splits, 0.25, seed=0)
    assert isinstance(small, Splits)
    assert len(small.train) == round(0.25 * len(splits.train))
    assert set(small.train.image_id) <= set(splits.train.image_id)
    assert small.val is splits.val and small.test is splits.test
    assert apply_train_size(splits, None) is splits


def test_validation_set_is_a_stratified_subset_not_a_prefix():
    """Sources list images by class; the first 100 of these hold only class 0 (GTSRB's first
    1,000 validation images held no stop sign)."""
    truth = np.repeat([0, 1, 2, 3], [400, 300, 60, 40])
    val = _imageset(truth, np.arange(len(truth)))
    picked = validation_set(val, 100, seed=0)
    assert len(picked) == 100 and set(picked.image_id) <= set(val.image_id)
    assert np.abs(np.bincount(picked.truth, minlength=4) - [50, 37.5, 7.5, 5]).max() <= 1
    again = validation_set(val, 100, seed=0)
    assert np.array_equal(again.image_id, picked.image_id)  # the same images every epoch
    assert validation_set(val, 0) is val and validation_set(val, 10_000) is val
