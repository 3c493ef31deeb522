"""Gold labels (``crowd.gold``): a table of known answers the aggregator is given.

The file is CSV, TSV or Parquet with columns ``task`` (an image id, as in the answers) and
``label`` (a class name, or a string of the crowd config's ``vocabulary``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.io.resolve import Vocabulary
from crowdsign.errors import InputError, MissingInputError


def read_gold(
    path: str | Path,
    class_names: Sequence[str] | None,
    vocabulary: Mapping[str, Any] | None = None,
) -> pd.Series:
    """Known labels, index ``task`` → class name; a bad file or row stops with it named.

    ``class_names`` None keeps labels as they are (after ``vocabulary``).
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(
            f"crowd.gold={path}: no such file (a table with columns task,label)"
        )
    if path.suffix == ".parquet":
        df = pd.read_parquet(path).astype(str)
    else:
        sep = "\t" if path.suffix in (".tsv", ".tab") else ","
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    missing = {"task", "label"} - set(df.columns)
    if missing:
        raise InputError(f"{path}: gold file lacks column(s) {sorted(missing)}; want task,label")
    names, unknown, _ = Vocabulary(class_names, vocabulary).map(df["label"].to_numpy(object))
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise InputError(
            f"{path}, row {row + 2}, column label: {df['label'].iloc[row]!r} is not a class "
            f"({', '.join(class_names or ())}); fix the row or add it to crowd.vocabulary"
        )
    gold = pd.Series(names, index=pd.Index(df["task"].str.strip(), name="task"), dtype=str)
    if gold.groupby(level=0).nunique().gt(1).any():
        task = gold.index[gold.index.duplicated()][0]
        raise InputError(f"{path}: task {task!r} has two different gold labels")
    return gold[~gold.index.duplicated()]


def merge_gold(*golds: pd.Series | None) -> pd.Series | None:
    """One gold table from several (the export's own column, a file); the first wins."""
    have = [g for g in golds if g is not None and len(g)]
    if not have:
        return None
    both = pd.concat(have)
    return both[~both.index.duplicated()]
