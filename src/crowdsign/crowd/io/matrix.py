"""Dense answer matrices: one row per image of a file list, one column per worker.

The format of Rodrigues & Pereira's LabelMe-AMT and Music releases and of several other
learning-from-crowds sets::

    answers.txt           filenames_train.txt
    -1  3 -1  1           street_hexp30.jpg
     2 -1 -1 -1           insidecity_a212024.jpg

A cell holds the class index the column's worker chose for the row's image, or the missing-value
marker (``-1``) where that worker did not see it. Class indices are positions in ``classes``
(the release's own class order); with no ``classes`` they index the data's class names. Rows
and columns are numbered from 1 in messages, like a spreadsheet; worker ids are the column
numbers (``"1"``, ``"2"``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.io.common import Checker, CrowdFormatError, ReadOptions, read_text
from crowdsign.crowd.io.table import finish
from crowdsign.data.imageset import ImageSet
from crowdsign.data.summary import LoadSummary


def _rows(path: Path, encoding: str | None, sep: str | None) -> list[list[str]]:
    """The matrix as rows of stripped cell strings (blank lines at the end ignored)."""
    lines = read_text(path, encoding).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    rows = [line.split(sep) if sep else line.split() for line in lines]
    width = len(rows[0])
    for r, row in enumerate(rows, start=1):
        if len(row) != width:
            raise CrowdFormatError(
                path,
                f"{len(row)} cells, but row 1 has {width}; every row needs one per worker",
                row=f"row {r}",
            )
    return [[c.strip() for c in row] for row in rows]


def _file_list(path: Path, encoding: str | None) -> list[str]:
    lines = read_text(path, encoding).splitlines()
    names = [line.strip() for line in lines]
    while names and not names[-1]:
        names.pop()
    for r, name in enumerate(names, start=1):
        if not name:
            raise CrowdFormatError(path, "empty file name", row=f"row {r}")
    return names


def read_matrix(
    images: ImageSet | None = None,
    *,
    path: str | Path,
    file_list: str | Path,
    missing: str = "-1",
    classes: Sequence[str] = (),
    sep: str | None = None,
    cost: Any = None,
    **options: Any,
) -> CrowdLabels:
    """Read a dense answer matrix into :class:`CrowdLabels`.

    Args:
        images: the split the answers are for (its ids are matched by ``refs``, by default the
            file name).
        path: the matrix: whitespace- (or ``sep``-) separated integers.
        file_list: one image reference per line, in the matrix's row order.
        missing: the marker of a cell with no answer.
        classes: class name per index; empty: the indices are positions in the data's
            ``class_names``.
        sep: cell separator; ``None``: any run of whitespace.
        cost: the pricing to attach (:class:`crowdsign.crowd.cost.CostModel`).
        **options: :class:`~crowdsign.crowd.io.common.ReadOptions` (``refs`` defaults to
            ``basename``).

    Raises:
        CrowdFormatError: naming file, row and column: a row count other than the file list's,
            rows of different lengths, a non-integer cell, a class index outside ``classes``.
    """
    options.setdefault("refs", "basename")
    opts = ReadOptions(**options)
    path, file_list = Path(path), Path(file_list)
    names = list(classes) or (None if images is None else list(images.class_names))
    if not names:
        raise CrowdFormatError(path, "set the crowd config's classes (class name per index)")
    refs = _file_list(file_list, opts.encoding)
    grid = _grid(path, file_list, opts.encoding, sep, len(refs))
    r, c = np.nonzero(grid != str(missing))
    values = pd.Series(grid[r, c], dtype=object)
    summary = LoadSummary(source=f"matrix {path}")

    def locate(idx: np.ndarray) -> list[str]:
        return [f"row {r[i] + 1}, column {c[i] + 1}" for i in idx]

    check = Checker(path, len(values), locate, opts, summary)
    raw = pd.DataFrame(
        {
            "ref": np.asarray(refs, dtype=object)[r],
            "worker": (c + 1).astype(str).astype(object),
            "label": _labels(values, names, check),
        }
    )
    columns = {"ref": "file list", "worker": "column", "label": "cell"}
    return finish(raw, check, columns, opts, images, cost=cost)


def _grid(path: Path, file_list: Path, encoding: str | None, sep: str | None, n_refs: int):
    """``(rows, columns)`` object array of the matrix's cells, one row per file-list line."""
    cells = _rows(path, encoding, sep)
    if len(cells) != n_refs:
        raise CrowdFormatError(
            path,
            f"{len(cells)} rows, but the file list {file_list} names {n_refs} images; "
            "row i must hold the answers for line i of the file list",
        )
    return np.array(cells, dtype=object).reshape(len(cells), -1)


def _labels(values: pd.Series, names: list[str], check: Checker) -> np.ndarray:
    """Class name per answered cell (``""`` where flagged: not an integer, or no such class)."""
    as_int = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    integer = np.isfinite(as_int) & (as_int == np.round(as_int))
    check.flag(~integer, "non-integer cell", None, lambda i: [repr(v) for v in values.iloc[i]])
    index = np.where(integer, as_int, -1).astype(np.int64)
    outside = integer & ((index < 0) | (index >= len(names)))
    check.flag(
        outside,
        "value outside the classes",
        None,
        lambda i: [f"{index[j]} (classes are 0..{len(names) - 1}: {names})" for j in i],
    )
    label = np.array([""] * len(values), dtype=object)
    ok = integer & ~outside
    label[ok] = np.asarray(names, dtype=object)[index[ok]]
    return label


def write_matrix(
    answers: pd.DataFrame,
    path: str | Path,
    *,
    file_list: str | Path,
    classes: Sequence[str],
    missing: str = "-1",
) -> Path:
    """Write a long ``task, worker, label`` table as a dense matrix at ``path`` and its row
    order at ``file_list`` (one task per line), the inverse of :func:`read_matrix`."""
    tasks = sorted(answers["task"].astype(str).unique())
    workers = sorted(answers["worker"].astype(str).unique())
    code = {name: i for i, name in enumerate(classes)}
    grid = np.full((len(tasks), len(workers)), str(missing), dtype=object)
    row = pd.Index(tasks).get_indexer(answers["task"].astype(str))
    col = pd.Index(workers).get_indexer(answers["worker"].astype(str))
    grid[row, col] = [str(code[label]) for label in answers["label"]]
    path, file_list = Path(path), Path(file_list)
    path.write_text("".join(" ".join(r) + "\n" for r in grid))
    file_list.write_text("".join(t + "\n" for t in tasks))
    return path
