"""The record an image source hands on: images, ids, groups, truth and per-image metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from crowdsign.data.summary import LoadSummary


@dataclass(frozen=True)
class ImageSet:
    """One split of one image source.

    Attributes:
        images: ``(N, H, W, 3)`` uint8 RGB, in memory or a read-only memmap.
        image_id: ``(N,)`` str, unique within the source; crowd answers refer to it as ``task``.
        group: ``(N,)`` int64; images of one physical object (a GTSRB track) share a group, so
            splits keep a group together.
        class_names: names of the classes ``truth`` indexes.
        truth: ``(N,)`` int64 class index, or ``None`` when the source has no trusted labels.
        meta: per-image metadata (one row per image, e.g. the renderer's ``difficulty``).
    """

    images: np.ndarray
    image_id: np.ndarray
    group: np.ndarray
    class_names: tuple[str, ...]
    truth: np.ndarray | None = None
    meta: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        n = len(self.images)
        if self.images.ndim != 4 or self.images.shape[-1] != 3 or self.images.dtype != np.uint8:
            raise ValueError(
                f"ImageSet.images must be (N, H, W, 3) uint8, got {self.images.shape} "
                f"{self.images.dtype}"
            )
        for name in ("image_id", "group"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"ImageSet.{name} has {len(getattr(self, name))} rows, want {n}")
        if self.truth is not None:
            if len(self.truth) != n:
                raise ValueError(f"ImageSet.truth has {len(self.truth)} rows, want {n}")
            if n and (self.truth.min() < 0 or self.truth.max() >= len(self.class_names)):
                raise ValueError("ImageSet.truth holds an index outside class_names")
        if len(self.meta) not in (0, n):
            raise ValueError(f"ImageSet.meta has {len(self.meta)} rows, want 0 or {n}")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[1])

    def subset(self, index: np.ndarray) -> ImageSet:
        """Rows ``index`` (int positions) as a new ImageSet (images copied into memory)."""
        index = np.asarray(index, dtype=np.int64)
        return ImageSet(
            images=self.images[index],
            image_id=self.image_id[index],
            group=self.group[index],
            class_names=self.class_names,
            truth=None if self.truth is None else self.truth[index],
            meta=self.meta.iloc[index].reset_index(drop=True) if len(self.meta) else self.meta,
        )


@dataclass(frozen=True)
class Splits:
    """The train/val/test ImageSets of one source; all share ``class_names``.

    ``summary`` accounts for files the source read, kept and skipped (real sources).
    ``devtest`` (optional) holds groups a source kept out of train, val and test: images to
    score a finished recipe on once, never to select or tune on (``split=devtest``).
    """

    train: ImageSet
    val: ImageSet
    test: ImageSet
    summary: LoadSummary | None = None
    devtest: ImageSet | None = None

    def __post_init__(self) -> None:
        names = {self.train.class_names, self.val.class_names, self.test.class_names}
        if self.devtest is not None:
            names.add(self.devtest.class_names)
        if len(names) != 1:
            raise ValueError(f"splits disagree on class_names: {names}")

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.train.class_names

    def __getitem__(self, split: str) -> ImageSet:
        if split == "devtest" and self.devtest is None:
            raise KeyError(
                "split 'devtest' is empty: this source kept no groups apart (for GTSRB, train "
                "with data.devtest_fraction > 0)"
            )
        if split not in ("train", "val", "test", "devtest"):
            raise KeyError(f"unknown split {split!r}; expected train, val, test or devtest")
        return getattr(self, split)
