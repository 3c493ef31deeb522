"""``data=gtsrb``: the German Traffic Sign Recognition Benchmark in torchvision's layout.

::

    <root>/gtsrb/GTSRB/Training/000NN/TTTTT_FFFFF.ppm   class NN, track TTTTT, frame FFFFF
    <root>/gtsrb/GTSRB/Training/000NN/GT-000NN.csv      per-class annotations (``;``-separated)
    <root>/gtsrb/GTSRB/Final_Test/Images/NNNNN.ppm      official test split (optional)
    <root>/gtsrb/GT-final_test.csv                      its labels (``Filename;...;ClassId``)

A track is one physical sign filmed over up to 30 frames, so tracks are the split groups. With
the official test split present, training tracks go to train/val and the test split is the
official one; otherwise training tracks are split three ways. A root with only the official
test split gives empty train/val (for ``evaluate.py`` on another root).

``devtest_fraction > 0`` first keeps that share of the training tracks (class-stratified, drawn
by ``devtest_seed`` alone, so every recipe and every ``seed`` keeps the same ones) out of
train, val and test, as ``Splits.devtest``: photos of other signs to score a finished recipe
on once (``evaluate.py split=devtest``), never to select or tune on.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsign.data.assemble import POOL, TEST, build_splits
from crowdsign.data.files import decode_files
from crowdsign.data.imageset import ImageSet, Splits
from crowdsign.data.splits import group_split
from crowdsign.data.tasks import map_task
from crowdsign.errors import ConfigError, InputError, MissingInputError

GTSRB_CLASSES: tuple[str, ...] = (
    "speed_limit_20", "speed_limit_30", "speed_limit_50", "speed_limit_60", "speed_limit_70",
    "speed_limit_80", "end_speed_limit_80", "speed_limit_100", "speed_limit_120", "no_passing",
    "no_passing_over_3.5t", "right_of_way_next_intersection", "priority_road", "yield", "stop",
    "no_vehicles", "over_3.5t_prohibited", "no_entry", "general_caution", "curve_left",
    "curve_right", "double_curve", "bumpy_road", "slippery_road", "road_narrows_right",
    "road_work", "traffic_signals", "pedestrians", "children_crossing", "bicycles_crossing",
    "ice_snow", "wild_animals", "end_all_limits", "turn_right_ahead", "turn_left_ahead",
    "ahead_only", "straight_or_right", "straight_or_left", "keep_right", "keep_left",
    "roundabout", "end_no_passing", "end_no_passing_over_3.5t",
)  # fmt: skip
STOP_CLASS = 14
_TRACK_FRAME = re.compile(r"^(\d+)_(\d+)$")


def find_base(root: Path) -> Path:
    """The directory holding ``GTSRB/``: ``<root>/gtsrb`` (torchvision's root) or ``root``."""
    for base in (root / "gtsrb", root):
        if (base / "GTSRB").is_dir():
            return base
    raise MissingInputError(
        f"GTSRB not found under {root}: expected {root / 'gtsrb' / 'GTSRB' / 'Training'} "
        "(torchvision's layout) or a GTSRB/ folder in it"
    )


def list_gtsrb(root: str | os.PathLike) -> pd.DataFrame:
    """Every expected image file of a GTSRB root, good or bad, with its label and split.

    Returns:
        One row per file: ``path`` (absolute), ``image_id`` (relative to ``root``, POSIX),
        ``class_id``, ``track`` (-1 when the name is not ``TTTTT_FFFFF``), ``frame``, ``split``
        (:data:`POOL` for training files, :data:`TEST` for the official test split). Files a
        class's CSV lists but that are missing, and files with a non-``.ppm`` extension, are
        included so that decoding reports them.
    """
    root = Path(root)
    base = find_base(root)
    rows: list[tuple[str, int, int]] = []  # (path relative to root, class id, split)
    training = base / "GTSRB" / "Training"
    if training.is_dir():
        for class_dir in sorted(p for p in training.iterdir() if p.is_dir()):
            if not class_dir.name.isdigit() or int(class_dir.name) >= len(GTSRB_CLASSES):
                raise InputError(f"{class_dir}: not a GTSRB class folder (00000 … 00042)")
            names = {e.name for e in os.scandir(class_dir) if not e.name.startswith(".")}
            listed = _csv_filenames(class_dir / f"GT-{class_dir.name}.csv")
            files = (names | listed) - {n for n in names if n.lower().endswith(".csv")}
            rel = class_dir.relative_to(root).as_posix()
            rows += [(f"{rel}/{n}", int(class_dir.name), POOL) for n in sorted(files)]
    test_dir = base / "GTSRB" / "Final_Test" / "Images"
    if test_dir.is_dir():
        rows += _official_test(base, test_dir.relative_to(root).as_posix())
    if not rows:
        raise MissingInputError(f"{base / 'GTSRB'} has neither Training/ nor Final_Test/Images/")
    table = pd.DataFrame(rows, columns=["image_id", "class_id", "split"])
    table["path"] = [os.path.join(root, i) for i in table["image_id"]]
    stem = table["image_id"].str.rsplit("/", n=1).str[-1].str.rsplit(".", n=1).str[0]
    parts = stem.str.extract(_TRACK_FRAME).astype(float).fillna(-1).astype(np.int64)
    parts.loc[table["split"] != POOL] = -1
    table["track"], table["frame"] = parts[0], parts[1]
    return table


def _official_test(base: Path, rel_dir: str) -> list[tuple[str, int, int]]:
    labels_csv = base / "GT-final_test.csv"
    if not labels_csv.is_file():
        raise MissingInputError(
            f"{base / rel_dir} holds the official test images but {labels_csv} (their labels) "
            "is missing"
        )
    rows = []
    with open(labels_csv, newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";", skipinitialspace=True)
        for line, row in enumerate(reader, start=2):
            try:
                rows.append((f"{rel_dir}/{row['Filename']}", int(row["ClassId"]), TEST))
            except (KeyError, TypeError, ValueError):
                raise InputError(
                    f"{labels_csv} line {line}: need Filename and an integer ClassId"
                ) from None
    return rows


def _csv_filenames(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    with open(path, newline="") as fh:
        return {row["Filename"] for row in csv.DictReader(fh, delimiter=";") if row.get("Filename")}


def load_gtsrb(
    *,
    task: str = "binary",
    image_size: int = 32,
    train_size: int | float | None = None,
    split_seed: int = 0,
    cache_dir: str = "data/cache",
    root: str,
    stop_classes: Sequence[int | str] = (STOP_CLASS,),
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    on_bad_image: str = "raise",
    decode_workers: int = 0,
    devtest_fraction: float = 0.0,
    devtest_seed: int = 0,
) -> Splits:
    """Load GTSRB as track-held-out :class:`Splits` (decoded once into the cache).

    Args:
        task: ``"binary"`` (``not_stop``/``stop``) or ``"multiclass"`` (the 43 GTSRB classes).
        image_size: side of the cached square images.
        train_size: ``None`` | int | float: nested, class-stratified subset of train.
        split_seed: seeds the track split.
        cache_dir: where decoded arrays are cached.
        root: torchvision's GTSRB root (holds ``gtsrb/GTSRB/Training``).
        stop_classes: GTSRB class ids (or names) that count as stop; default 14.
        split_fractions: ``(train, val, test)`` image shares; with the official test split,
            the test share goes to train/val in proportion.
        on_bad_image: ``"raise"`` (error naming the file) or ``"skip"`` (counted, listed).
        decode_workers: decode threads; 0 = all cores.
        devtest_fraction, devtest_seed: share of the training tracks kept out of every split
            as ``Splits.devtest`` (0: none), and the seed of which (independent of ``split_seed``).
    """
    _check_fraction(devtest_fraction)
    root_path = Path(root).expanduser().resolve()
    table = _grouped(list_gtsrb(root_path))
    images, rows, summary = decode_files(
        table["path"].tolist(),
        source="gtsrb",
        root=os.fspath(root_path),
        image_size=image_size,
        cache_dir=cache_dir,
        on_bad_image=on_bad_image,
        workers=decode_workers,
    )
    kept = table.iloc[rows].reset_index(drop=True)
    images, kept, devtest = _split_off_devtest(images, kept, devtest_fraction, devtest_seed,
                                               task=task, stop_classes=stop_classes)  # fmt: skip
    if devtest is not None:
        summary.drop("dev-test tracks, in no split (split=devtest)", len(devtest))
    splits = build_splits(
        images=images,
        **_columns(kept),
        task=task,
        stop_classes=_stop_classes(stop_classes),
        fractions=split_fractions,
        seed=split_seed,
        train_size=train_size,
        summary=summary,
    )
    return splits if devtest is None else replace(splits, devtest=devtest)


def _check_fraction(devtest_fraction: float) -> None:
    if not 0.0 <= devtest_fraction < 1.0:
        raise ConfigError(f"data.devtest_fraction={devtest_fraction} must lie in [0, 1)")


def _grouped(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``group`` column: one (class, track); files not named TTTTT_FFFFF and
    test images stand alone."""
    group_key = table["class_id"] * 100_000 + table["track"]
    alone = table["track"] < 0
    group_key[alone] = -1 - np.flatnonzero(alone)
    table["group"] = np.unique(group_key, return_inverse=True)[1]
    return table


def _columns(kept: pd.DataFrame) -> dict:
    """``build_splits``'s per-image columns of the kept files."""
    return {
        "image_id": kept["image_id"].to_numpy(dtype=str),
        "group": kept["group"].to_numpy(dtype=np.int64),
        "labels": kept["class_id"].to_numpy(dtype=np.int64),
        "source_classes": GTSRB_CLASSES,
        "split_code": kept["split"].to_numpy(dtype=np.int64),
        "meta": kept[["class_id", "track", "frame"]],
    }


def _stop_classes(stop_classes: Sequence[int | str]) -> list[int | str]:
    return [int(c) if str(c).isdigit() else str(c) for c in stop_classes]


def _split_off_devtest(
    images: np.ndarray,
    kept: pd.DataFrame,
    fraction: float,
    seed: int,
    *,
    task: str,
    stop_classes: Sequence[int | str],
) -> tuple[np.ndarray, pd.DataFrame, ImageSet | None]:
    """``(images, rows)`` left for train/val/test, and the dev-test ImageSet (None if empty)."""
    apart = _devtest_mask(kept, fraction, seed)
    if not apart.any():
        return images, kept, None
    truth, class_names = map_task(
        kept["class_id"].to_numpy(dtype=np.int64)[apart],
        GTSRB_CLASSES,
        task=task,
        stop_classes=_stop_classes(stop_classes),
        source="gtsrb",
    )
    devtest = ImageSet(
        images=np.asarray(images[apart]),
        image_id=kept["image_id"].to_numpy(dtype=str)[apart],
        group=kept["group"].to_numpy(dtype=np.int64)[apart],
        class_names=class_names,
        truth=truth,
        meta=kept.loc[apart, ["class_id", "track", "frame"]].reset_index(drop=True),
    )
    return np.asarray(images[~apart]), kept[~apart].reset_index(drop=True), devtest


def _devtest_mask(kept: pd.DataFrame, fraction: float, seed: int) -> np.ndarray:
    """``(N,)`` bool: the training-pool images of a class-stratified ``fraction`` of the tracks."""
    mask = np.zeros(len(kept), dtype=bool)
    pool = np.flatnonzero(kept["split"].to_numpy() == POOL)
    if fraction <= 0 or len(pool) == 0:
        return mask
    _, _, apart = group_split(
        kept["class_id"].to_numpy()[pool],
        kept["group"].to_numpy()[pool],
        (1.0 - fraction, 0.0, fraction),
        seed,
    )
    mask[pool[apart]] = True
    return mask
