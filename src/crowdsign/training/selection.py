"""Model selection without the truth: which validation labels pick the best epoch.

``trainer.selection``:

- ``crowd`` (default): the crowd answers the validation images like the training images (a
  simulated pool labels them from the same per-image streams; a real export's answers for
  validation images are read from the same file), and the best epoch is the one that agrees
  best with their aggregated labels. A source with no crowd answers on validation (``crowd=none``,
  or an export that answered none) selects on the source's own validation labels, and the
  record says so (``by: source``).
- ``gold``: a small class-stratified set of ``data.gold_size`` validation images with truth,
  counted and priced as labeled data (at the crowd's price per training image).
- ``truth``: the whole validation selection set scored against truth: an oracle for studies
  only, named as such in ``metrics.json`` and the model card.

The test split is always scored against truth and never picks anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from hydra.utils import instantiate

from crowdsign.crowd.aggregate.dawid_skene import OneCoinDawidSkene
from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.cost import as_cost_model, price
from crowdsign.crowd.truth import true_labels
from crowdsign.data.imageset import ImageSet
from crowdsign.data.splits import nested_subset
from crowdsign.errors import ConfigError
from crowdsign.training.schemas import Selection
from crowdsign.training.targets import aggregate_targets

NOTES = {
    "crowd": "aggregated crowd answers on validation images (no truth)",
    "gold": "a gold set of validation images with truth, counted and priced as labeled data",
    "truth": "ORACLE: validation truth (a study setting; a crowd-only user cannot do this)",
    "source": "the source's own validation labels (no crowd answers on validation)",
}


@dataclass(frozen=True)
class SelectionSet:
    """The images that pick the best epoch and the labels they are scored against.

    Attributes:
        images: ``(n,)`` validation images.
        labels: ``(n,)`` int64 class per image: crowd targets, gold/true labels or source labels.
        by: ``crowd`` | ``gold`` | ``truth`` | ``source``.
        answers: crowd answers bought for these images (0 unless ``by == "crowd"``).
        cost: what the selection labels cost (None where unknown).
    """

    images: ImageSet
    labels: np.ndarray
    by: str
    answers: int = 0
    cost: float | None = None
    # estimated share of wrong labels (crowd only: 1 − the one-coin Dawid–Skene posterior of
    # each label, averaged); calibration fits the temperature through this noise
    label_noise: float = 0.0

    def record(self) -> dict[str, Any]:
        """What ``metrics.json`` and the model card say about the selection."""
        return {
            "by": self.by,
            "images": len(self.images),
            "answers": self.answers,
            "cost": self.cost,
            "label_noise": self.label_noise,
            "note": NOTES[self.by],
        }


def without_pixels(*sets: ImageSet) -> ImageSet:
    """One ImageSet of the ids, truth and metadata of ``sets`` with 1x1 placeholder pixels.

    A crowd (simulated or read from an export) never looks at the pixels, so train and
    validation images can be answered in one call without copying either split's images.
    """
    n = sum(len(s) for s in sets)
    truth = None if any(s.truth is None for s in sets) else np.concatenate([s.truth for s in sets])
    metas = [s.meta for s in sets]
    meta = pd.concat(metas, ignore_index=True) if all(len(m) for m in metas) else pd.DataFrame()
    return ImageSet(
        images=np.broadcast_to(np.zeros((1, 1, 1, 3), np.uint8), (n, 1, 1, 3)),
        image_id=np.concatenate([s.image_id for s in sets]),
        group=np.concatenate([s.group for s in sets]),
        class_names=sets[0].class_names,
        truth=truth,
        meta=meta,
    )


def only(crowd: CrowdLabels, images: ImageSet) -> CrowdLabels:
    """The answers of ``crowd`` about ``images`` (the load summary is the whole read's)."""
    keep = crowd.answers["task"].isin(set(images.image_id.tolist())).to_numpy()
    return replace(crowd, answers=crowd.answers.loc[keep].reset_index(drop=True))


def answer(crowd_fn: Any, train: ImageSet, val: ImageSet) -> tuple[CrowdLabels, CrowdLabels]:
    """The crowd's answers for ``train`` and for ``val``, from one call on both."""
    both = crowd_fn(without_pixels(train, val))
    return only(both, train), only(both, val)


def selection_set(
    mode: Selection | str,
    val: ImageSet,
    val_crowd: CrowdLabels,
    make_estimator: Any,
    *,
    gold_size: int,
    seed: int,
    price_per_image: float | None,
) -> SelectionSet:
    """Build the selection set for ``trainer.selection=mode`` from the validation images.

    Args:
        mode: crowd | gold | truth.
        val: the validation images selection may use (``trainer.limit_val_batches`` applied).
        val_crowd: the crowd's answers about ``val`` (:func:`answer`).
        make_estimator: returns a fresh aggregator (``aggregate.estimator``); validation answers
            are aggregated on their own, so training targets do not depend on them.
        gold_size: ``data.gold_size`` (``mode=gold`` only).
        seed: picks the gold images.
        price_per_image: the crowd's price per training image, to price a gold set.
    """
    mode = mode if isinstance(mode, Selection) else Selection[str(mode)]
    if mode is Selection.truth:
        return SelectionSet(val, _truth(val, "trainer.selection=truth"), "truth")
    if mode is Selection.gold:
        if not 0 < gold_size <= len(val):
            raise ConfigError(
                f"trainer.selection=gold needs data.gold_size in [1, {len(val)}] (the validation "
                f"images), got {gold_size}; set data.gold_size=<n>"
            )
        gold = val.subset(nested_subset(_truth(val, "trainer.selection=gold"), gold_size, seed))
        cost = None if price_per_image is None else price_per_image * gold_size
        return SelectionSet(gold, gold.truth, "gold", cost=cost)
    if val_crowd.summary.source == "source labels" or val_crowd.answers.empty:
        return SelectionSet(val, _truth(val, "selection on the source's labels"), "source")
    targets = aggregate_targets(val, val_crowd, make_estimator(), val_crowd.gold)
    answered = val.subset(np.flatnonzero(targets.answered))
    cost = price(val_crowd.answers, as_cost_model(val_crowd.cost)).total
    labels = targets.hard[targets.answered]
    return SelectionSet(
        answered,
        labels,
        "crowd",
        answers=len(val_crowd.answers),
        cost=cost,
        label_noise=estimated_label_noise(val, val_crowd, targets.answered, labels),
    )


def estimated_label_noise(
    val: ImageSet, val_crowd: CrowdLabels, answered: np.ndarray, labels: np.ndarray
) -> float:
    """1 − the mean one-coin Dawid–Skene posterior of ``labels`` (the aggregated labels of the
    ``answered`` images): how often the selection labels are wrong, estimated from the answers
    alone (whatever aggregator made the labels)."""
    if not len(labels):
        return 0.0
    ds = aggregate_targets(val, val_crowd, OneCoinDawidSkene(), val_crowd.gold)
    right = ds.soft[answered][np.arange(len(labels)), labels]
    chance = 1.0 - 1.0 / max(val.num_classes, 2)  # labels this wrong say nothing
    return float(np.clip(1.0 - right.mean(), 0.0, 0.9 * chance))


def _truth(val: ImageSet, what: str) -> np.ndarray:
    if val.truth is None:
        raise ConfigError(f"{what} needs validation images with labels; this source has none")
    return val.truth


def crowd_and_selection(
    cfg: Any, train: ImageSet, val: ImageSet
) -> tuple[CrowdLabels, SelectionSet]:
    """The crowd's answers on ``train`` and the selection set, as ``cfg`` asks.

    ``val`` is the validation pool selection may use (``trainer.limit_val_batches`` applied).
    """
    # robust.true_labels (robust=clean): the source's own labels stand in for any crowd
    source = true_labels if cfg.robust.true_labels else instantiate(cfg.crowd)
    crowd, val_crowd = answer(source, train, val)  # gold comes with them
    per_image = price(crowd.answers, as_cost_model(crowd.cost)).per_image
    selection = selection_set(
        cfg.trainer.selection,
        val,
        val_crowd,
        lambda: instantiate(cfg.aggregate.estimator),
        gold_size=int(cfg.data.get("gold_size", 0) or 0),
        seed=int(cfg.data.get("subset_seed", cfg.seed)),
        price_per_image=per_image,
    )
    return crowd, selection
