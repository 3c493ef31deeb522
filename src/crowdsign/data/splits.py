"""Source-agnostic split helpers: group-aware stratified splits and nested training subsets.

Every function is deterministic given its ``seed`` and draws only from its own
``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from crowdsign.data.imageset import ImageSet, Splits

SPLIT_NAMES = ("train", "val", "test")


def check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    """Validate ``(train, val, test)`` fractions: three numbers >= 0, train > 0, summing to 1."""
    f = tuple(float(x) for x in fractions)
    if len(f) != 3 or min(f) < 0 or f[0] <= 0 or abs(sum(f) - 1.0) > 1e-6:
        raise ValueError(
            f"split_fractions={list(f)} must be three numbers (train, val, test) >= 0 with "
            "train > 0, summing to 1"
        )
    return f  # type: ignore[return-value]


def _strata(truth: np.ndarray | None, n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64) if truth is None else np.asarray(truth, dtype=np.int64)


def group_split(
    truth: np.ndarray | None,
    group: np.ndarray,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split images into train/val/test so that no group straddles two splits.

    Groups are stratified by class: a group's class is the majority class of its images, and
    within each class the groups, shuffled by ``seed``, go one by one to the split furthest
    below its share of that class's images (relative to its target). So every split gets a
    class's images in about the asked proportion, and a class with at least three groups
    reaches all three splits whose fraction is positive.

    Args:
        truth: ``(N,)`` int class per image, or ``None`` to split without stratifying.
        group: ``(N,)`` int group per image (a GTSRB track, a COCO photograph).
        fractions: ``(train, val, test)`` shares of the images, summing to 1.
        seed: seeds the shuffle of groups.

    Returns:
        ``(train_idx, val_idx, test_idx)``: sorted int64 positions into the ``N`` images.
    """
    f = np.asarray(check_fractions(fractions))
    group = np.asarray(group)
    n = len(group)
    strata = _strata(truth, n)
    if len(strata) != n:
        raise ValueError(f"truth has {len(strata)} rows but group has {n}")
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    groups, inverse = np.unique(group, return_inverse=True)
    sizes = np.bincount(inverse, minlength=len(groups))
    # Majority class of each group: count (group, class) pairs, take the argmax per group.
    classes, cls_inv = np.unique(strata, return_inverse=True)
    pair_counts = np.zeros((len(groups), len(classes)), dtype=np.int64)
    np.add.at(pair_counts, (inverse, cls_inv), 1)
    group_class = pair_counts.argmax(axis=1)

    rng = np.random.default_rng(seed)
    assign = np.empty(len(groups), dtype=np.int64)
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(group_class == c))
        target = f * sizes[members].sum()
        filled = np.zeros(3)
        for g in members:
            deficit = np.where(target > 0, (target - filled) / np.maximum(target, 1e-12), -np.inf)
            k = int(np.argmax(deficit))  # ties go to the earlier split (train, then val)
            assign[g] = k
            filled[k] += sizes[g]
    image_split = assign[inverse]
    train, val, test = (np.flatnonzero(image_split == k) for k in range(3))
    return train, val, test


def nested_subset(truth: np.ndarray, size: int | float | None, seed: int = 0) -> np.ndarray:
    """A class-stratified subset whose smaller sizes are contained in its larger ones.

    Every image gets a priority: within its class, a random rank ``r`` (from ``seed``) becomes
    ``(r + 0.5) / n_class``, so each class is spread evenly over the order (ties between classes
    broken at random). A subset of ``k`` images is the ``k`` lowest priorities; for a fixed seed
    the 1,000-image subset is therefore a subset of the 2,000-image one, and each class gets
    its share of ``k`` rounded up or down.

    Args:
        truth: ``(N,)`` int class per image (``np.zeros(N)`` draws without stratifying).
        size: ``None`` (all images), an ``int`` count in ``[0, N]``, or a ``float`` fraction in
            ``(0, 1]``.
        seed: seeds the ranks and the tie-breaks.

    Returns:
        Sorted int64 positions into the ``N`` images.
    """
    strata = np.asarray(truth, dtype=np.int64)
    n = len(strata)
    k = resolve_size(size, n)
    if k == n:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    priority = np.empty(n)
    for c in np.unique(strata):
        members = np.flatnonzero(strata == c)
        priority[members] = (rng.permutation(len(members)) + 0.5) / len(members)
    order = np.lexsort((rng.random(n), priority))
    return np.sort(order[:k]).astype(np.int64)


def resolve_size(size: int | float | None, n: int) -> int:
    """Turn ``train_size`` (None | int count | float fraction) into a count out of ``n``."""
    if size is None:
        return n
    if isinstance(size, bool) or not isinstance(size, int | float | np.integer | np.floating):
        raise ValueError(f"train_size={size!r} must be None, an int count or a float fraction")
    if isinstance(size, float | np.floating):
        if not 0.0 < size <= 1.0:
            raise ValueError(
                f"train_size={size!r}: a float is a fraction in (0, 1]; give an int for a count"
            )
        return max(1, round(float(size) * n)) if n else 0
    if not 0 <= int(size) <= n:
        raise ValueError(f"train_size={size} is outside [0, {n}] (the training split's size)")
    return int(size)


def apply_train_size(splits: Splits, train_size: int | float | None, seed: int = 0) -> Splits:
    """Shrink ``splits.train`` to a nested, stratified subset; val and test are untouched."""
    if train_size is None:
        return splits
    train = splits.train
    strata = _strata(train.truth, len(train))
    return replace(splits, train=train.subset(nested_subset(strata, train_size, seed)))


def validation_set(val: ImageSet, size: int, seed: int = 0) -> ImageSet:
    """The images that pick the best epoch: all of ``val`` (``size`` 0 or ≥ its length), or a
    fixed class-stratified ``size`` of them.

    Never the first ``size``: real sources list their images by class (GTSRB's first 1,000
    validation images hold no stop sign), so a prefix can leave classes out of the choice.
    """
    if size <= 0 or size >= len(val):
        return val
    return val.subset(nested_subset(_strata(val.truth, len(val)), size, seed))


def split_imageset(
    images: ImageSet,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    *,
    train_size: int | float | None = None,
) -> Splits:
    """Group-split one ImageSet into :class:`Splits`, then apply ``train_size`` to train."""
    idx = group_split(images.truth, images.group, fractions, seed)
    splits = Splits(*(images.subset(i) for i in idx))
    return apply_train_size(splits, train_size, seed)
