"""``data=folder``: an ImageFolder tree (one folder per class) of JPEG/PNG/PPM/WebP files.

::

    <root>/<class>/**/<image>                one tree, split by ``split_fractions``
    <root>/{train,val,test}/<class>/**/...   or predefined splits; a missing val/test is
                                             carved out of train by ``split_fractions``;
                                             ``valid`` or ``validation`` also name val

Every non-hidden file under a class folder is an input, so a stray ``notes.txt`` is a bad input
(an error naming it, or skipped with ``on_bad_image=skip``). Files directly in ``root`` are
ignored. Groups: each file alone (``group_by="file"``), or all files under one first-level
subfolder of a class folder together (``group_by="subdir"``, e.g. ``stop/clip_017/*.jpg``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsign.data.assemble import POOL, TEST, VAL, build_splits
from crowdsign.data.files import decode_files
from crowdsign.data.imageset import Splits
from crowdsign.errors import ConfigError, MissingInputError

SPLIT_DIRS = {"train": POOL, "val": VAL, "valid": VAL, "validation": VAL, "test": TEST}
GROUP_BY = ("file", "subdir")


def _visible_dirs(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))


def list_folder(root: str | os.PathLike, group_by: str = "file") -> tuple[pd.DataFrame, list[str]]:
    """Every input file of an ImageFolder tree.

    Returns:
        ``(table, classes)``: ``table`` has one row per file with ``path`` (absolute),
        ``image_id`` (relative to ``root``, POSIX), ``label`` (index into ``classes``),
        ``split`` (POOL/VAL/TEST) and ``group_key`` (str); ``classes`` are the sorted class
        folder names (over all split folders).
    """
    if group_by not in GROUP_BY:
        raise ConfigError(f"data.group_by={group_by!r}; expected one of {GROUP_BY}")
    root = Path(root)
    if not root.is_dir():
        raise MissingInputError(f"image folder root {root} is not a directory")
    top = _visible_dirs(root)
    if top and {p.name for p in top} <= set(SPLIT_DIRS) and "train" in {p.name for p in top}:
        trees = [(p, SPLIT_DIRS[p.name]) for p in top]
    else:
        trees = [(root, POOL)]
    rows: list[tuple[str, str, int, str]] = []
    for tree, split in trees:
        for class_dir in _visible_dirs(tree):
            for dirpath, dirnames, filenames in os.walk(class_dir, followlinks=True):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                rel_dir = Path(dirpath).relative_to(root).as_posix()
                sub = Path(dirpath).relative_to(class_dir).parts
                for name in sorted(f for f in filenames if not f.startswith(".")):
                    image_id = f"{rel_dir}/{name}"
                    key = f"{class_dir.name}/{sub[0]}" if group_by == "subdir" and sub else image_id
                    rows.append((image_id, class_dir.name, split, key))
    if not rows:
        raise MissingInputError(f"no image files under class folders of {root}")
    table = pd.DataFrame(rows, columns=["image_id", "class_name", "split", "group_key"])
    classes = sorted(table["class_name"].unique())
    table["label"] = table["class_name"].map({c: i for i, c in enumerate(classes)})
    table["path"] = [os.path.join(root, i) for i in table["image_id"]]
    return table, classes


def load_folder(
    *,
    task: str = "binary",
    image_size: int = 64,
    train_size: int | float | None = None,
    split_seed: int = 0,
    cache_dir: str = "data/cache",
    root: str,
    stop_classes: Sequence[str] = ("stop",),
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    group_by: str = "file",
    on_bad_image: str = "raise",
    decode_workers: int = 0,
) -> Splits:
    """Load an ImageFolder tree as group-aware, class-stratified :class:`Splits`.

    Args:
        task: ``"binary"`` (``not_stop``/``stop``) or ``"multiclass"`` (the class folders).
        image_size: side of the cached square images (stretched, not cropped).
        train_size: ``None`` | int | float: nested, class-stratified subset of train.
        split_seed: seeds the split.
        cache_dir: where decoded arrays are cached.
        root: the tree's root.
        stop_classes: class folder names that count as stop (binary task).
        split_fractions: ``(train, val, test)`` image shares of the images not in a
            predefined ``val``/``test`` folder.
        group_by: ``"file"`` or ``"subdir"`` (see the module docstring).
        on_bad_image: ``"raise"`` (error naming the file) or ``"skip"`` (counted, listed).
        decode_workers: decode threads; 0 = all cores.
    """
    root_path = Path(root).expanduser().resolve()
    table, classes = list_folder(root_path, group_by)
    images, rows, summary = decode_files(
        table["path"].tolist(),
        source="folder",
        root=os.fspath(root_path),
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
        labels=kept["label"].to_numpy(dtype=np.int64),
        source_classes=classes,
        split_code=kept["split"].to_numpy(dtype=np.int64),
        meta=kept[["class_name"]],
        task=task,
        stop_classes=[str(c) for c in stop_classes],
        fractions=split_fractions,
        seed=split_seed,
        train_size=train_size,
        summary=summary,
    )
