"""``data=manifest``: a CSV or Parquet table of ``path,label[,group][,split]``.

- ``path``: image file, relative to ``root`` (default: the manifest's folder) or absolute.
- ``label``: class name (any string; integer-like names sort numerically).
- ``group`` (optional): rows sharing a value stay in one split; empty or absent → each row alone.
- ``split`` (optional): ``train``/``val``/``test``; empty → split by ``split_fractions``.

Errors name the manifest and the row: ``manifest.csv line 7`` (CSV: the header is line 1) or
``manifest.parquet row 5`` (Parquet: rows counted from 0). Parquet needs ``pyarrow``.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsign.data.assemble import POOL, TEST, VAL, build_splits
from crowdsign.data.files import decode_files
from crowdsign.data.imageset import Splits
from crowdsign.errors import InputError, MissingInputError

REQUIRED = ("path", "label")
SPLIT_VALUES = {"": POOL, "train": POOL, "val": VAL, "test": TEST}


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """The manifest as strings (missing cells as ``""``), checked for its required columns."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"manifest {path} not found")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    elif suffix in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError(
                f"{path}: reading a Parquet manifest needs pyarrow (pip install pyarrow); "
                "or save the manifest as CSV"
            ) from None
        table = pd.read_parquet(path)
        table = table.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))
    else:
        raise InputError(f"manifest {path}: unsupported format {suffix!r}; use .csv or .parquet")
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise InputError(
            f"manifest {path}: missing column(s) {missing}; have {list(table.columns)} "
            "(need path,label and optionally group,split)"
        )
    return table


def _where(manifest: Path, i: int) -> str:
    csv_like = manifest.suffix.lower() in (".csv", ".tsv")
    return f"{manifest} line {i + 2}" if csv_like else f"{manifest} row {i}"


def parse_manifest(manifest: str | os.PathLike, root: str | os.PathLike | None = None):
    """Validate a manifest and resolve its rows.

    Returns:
        ``(table, classes)``: ``table`` adds ``abs_path``, ``image_id`` (relative to ``root``,
        POSIX), ``label_idx``, ``split_code``, ``group_key`` and ``where`` (manifest + row) to
        the manifest's columns; ``classes`` are the sorted label values.
    """
    manifest = Path(manifest).expanduser().resolve()
    base = Path(root).expanduser().resolve() if root else manifest.parent
    table = read_manifest(manifest)
    where = [_where(manifest, i) for i in range(len(table))]
    for col in REQUIRED:
        empty = np.flatnonzero(table[col].str.strip().to_numpy() == "")
        if len(empty):
            raise InputError(f"{where[empty[0]]}: empty {col!r} ({len(empty)} such rows)")
    split = (
        table["split"].str.strip().str.lower() if "split" in table else pd.Series([""] * len(table))
    )
    bad = np.flatnonzero(~split.isin(list(SPLIT_VALUES)).to_numpy())
    if len(bad):
        raise InputError(
            f"{where[bad[0]]}: split={table['split'].iloc[bad[0]]!r}; expected train, val, test "
            "or empty"
        )
    abs_paths, ids = [], []
    for p in table["path"].str.strip():
        full = Path(posixpath.normpath(p)) if os.path.isabs(p) else base / posixpath.normpath(p)
        abs_paths.append(os.fspath(full))
        ids.append(
            full.relative_to(base).as_posix() if full.is_relative_to(base) else full.as_posix()
        )
    table["abs_path"], table["image_id"], table["where"] = abs_paths, ids, where
    dup = table["image_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        first = np.flatnonzero(dup)
        same = table.index[table["image_id"] == table["image_id"].iloc[first[0]]]
        raise InputError(
            f"{where[same[0]]} and {where[same[1]]}: the same image {ids[same[0]]!r} listed twice"
        )
    labels = table["label"].str.strip()
    classes = sorted(
        labels.unique(), key=lambda c: (0, int(c), c) if c.lstrip("-").isdigit() else (1, 0, c)
    )
    table["label_idx"] = labels.map({c: i for i, c in enumerate(classes)}).astype(np.int64)
    table["split_code"] = split.map(SPLIT_VALUES).astype(np.int64).to_numpy()
    group = table["group"].str.strip() if "group" in table else pd.Series([""] * len(table))
    table["group_key"] = np.where(group == "", "row:" + table["image_id"], "group:" + group)
    return table, classes


def load_manifest(
    *,
    task: str = "binary",
    image_size: int = 64,
    train_size: int | float | None = None,
    split_seed: int = 0,
    cache_dir: str = "data/cache",
    path: str,
    root: str | None = None,
    stop_classes: Sequence[str] = ("stop",),
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    on_bad_image: str = "raise",
    decode_workers: int = 0,
) -> Splits:
    """Load the images a manifest lists as group-aware, class-stratified :class:`Splits`.

    Args:
        task: ``"binary"`` (``not_stop``/``stop``) or ``"multiclass"`` (the label values).
        image_size: side of the cached square images (stretched, not cropped).
        train_size: ``None`` | int | float: nested, class-stratified subset of train.
        split_seed: seeds the split.
        cache_dir: where decoded arrays are cached.
        path: the manifest (``.csv``, ``.tsv``, ``.parquet``).
        root: base of relative image paths; default the manifest's folder.
        stop_classes: label values that count as stop (binary task).
        split_fractions: ``(train, val, test)`` shares of the rows without a predefined split.
        on_bad_image: ``"raise"`` (error naming the row and file) or ``"skip"``.
        decode_workers: decode threads; 0 = all cores.
    """
    table, classes = parse_manifest(path, root)
    images, rows, summary = decode_files(
        table["abs_path"].tolist(),
        names=[f"{w}: {p}" for w, p in zip(table["where"], table["abs_path"], strict=True)],
        source="manifest",
        root=os.fspath(Path(path).expanduser().resolve()),
        image_size=image_size,
        cache_dir=cache_dir,
        on_bad_image=on_bad_image,
        workers=decode_workers,
    )
    kept = table.iloc[rows].reset_index(drop=True)
    return build_splits(
        images=images,
        image_id=kept["image_id"].to_numpy(dtype=str),
        group=np.unique(kept["group_key"].to_numpy(dtype=str), return_inverse=True)[1],
        labels=kept["label_idx"].to_numpy(dtype=np.int64),
        source_classes=classes,
        split_code=kept["split_code"].to_numpy(dtype=np.int64),
        meta=kept[["label"] + [c for c in ("group", "split") if c in kept]],
        task=task,
        stop_classes=[str(c) for c in stop_classes],
        fractions=split_fractions,
        seed=split_seed,
        train_size=train_size,
        summary=summary,
    )
