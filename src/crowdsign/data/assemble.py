"""Turn a source's decoded arrays into task-mapped, group-split, volume-controlled Splits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from crowdsign.data.imageset import ImageSet, Splits
from crowdsign.data.splits import apply_train_size, check_fractions, group_split
from crowdsign.data.summary import LoadSummary
from crowdsign.data.tasks import map_task

POOL, VAL, TEST = 0, 1, 2  # predefined split codes; POOL (or "train") is split by fractions


def pool_fractions(fractions: Sequence[float], predefined: Iterable[int]) -> tuple[float, ...]:
    """``fractions`` with the splits that already have predefined images set to 0, renormalised.

    E.g. GTSRB with its official test split: ``(0.8, 0.1, 0.1)`` → ``(0.889, 0.111, 0)``.
    """
    f = np.asarray(check_fractions(fractions))
    for code in set(predefined) - {POOL}:
        f[code] = 0.0
    return tuple(float(x) for x in f / f.sum())


def build_splits(
    *,
    images: np.ndarray,
    image_id: np.ndarray,
    group: np.ndarray,
    labels: np.ndarray,
    source_classes: Sequence[str],
    split_code: np.ndarray | None,
    meta: pd.DataFrame,
    task: str,
    stop_classes: Iterable[str | int],
    fractions: Sequence[float],
    seed: int,
    train_size: int | float | None,
    summary: LoadSummary,
) -> Splits:
    """Assemble :class:`Splits` from one source's decoded images.

    Args:
        images: ``(N, S, S, 3)`` uint8 (a memmap from the cache).
        image_id: ``(N,)`` str. group: ``(N,)`` int64. labels: ``(N,)`` int, source classes.
        source_classes: the source's class names, indexed by ``labels``.
        split_code: ``(N,)`` int, :data:`POOL` / :data:`VAL` / :data:`TEST`, or ``None`` (all in
            the pool). Pool images are group-split over the splits without predefined images.
        meta: ``(N,)`` rows of per-image metadata.
        task, stop_classes: see :func:`crowdsign.data.tasks.map_task`.
        fractions: ``(train, val, test)``. seed: seeds the split and the train subset.
        train_size: ``None`` | int | float, see :func:`crowdsign.data.splits.nested_subset`.
        summary: the load summary; ``kept`` is set here and it is attached as ``.summary``.
    """
    truth, class_names = map_task(
        labels, source_classes, task=task, stop_classes=stop_classes, source=summary.source
    )
    n = len(images)
    code = np.zeros(n, dtype=np.int64) if split_code is None else np.asarray(split_code)
    full = ImageSet(
        images=images,
        image_id=np.asarray(image_id, dtype=str),
        group=np.asarray(group, dtype=np.int64),
        class_names=class_names,
        truth=truth,
        meta=meta.reset_index(drop=True),
    )
    pool = np.flatnonzero(code == POOL)
    parts = group_split(
        truth[pool], full.group[pool], pool_fractions(fractions, np.unique(code)), seed
    )
    index = [pool[parts[0]]] + [
        np.sort(np.concatenate([pool[parts[k]], np.flatnonzero(code == k)])) for k in (VAL, TEST)
    ]
    splits = Splits(*(full.subset(i) for i in index))
    summary.kept = n
    return attach_summary(apply_train_size(splits, train_size, seed), summary)


def attach_summary(splits: Splits, summary: LoadSummary) -> Splits:
    """Return ``splits`` carrying ``summary`` as ``splits.summary`` (logged here too)."""
    summary.log()
    return replace(splits, summary=summary)
