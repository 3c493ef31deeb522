"""Plain long tables: CSV, TSV or Parquet with columns ``task, worker, label[, ...]``.

``task`` is the image reference (normally the image id itself); optional columns ``seconds``,
``reward``, ``status``, ``submitted_at`` (ISO 8601) are read when present, other columns are
ignored. The format follows the extension (``.csv``, ``.tsv``/``.tab``/``.txt``, ``.parquet``)
unless ``sep`` is given. Parquet needs ``pyarrow`` (or ``fastparquet``) installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.io.common import (
    Checker,
    CrowdFormatError,
    ReadOptions,
    read_table,
    require_columns,
    row_locator,
)
from crowdsign.crowd.io.table import canonical, finish
from crowdsign.crowd.io.writing import format_numbers, iso_times, write_delimited
from crowdsign.data.imageset import ImageSet
from crowdsign.data.summary import LoadSummary

PARQUET = (".parquet", ".pq")


def _sep(path: Path, sep: str | None) -> str | None:
    """``None`` for Parquet, else the delimiter."""
    if sep is not None:
        return sep
    ext = path.suffix.lower()
    if ext in PARQUET:
        return None
    return "\t" if ext in (".tsv", ".tab", ".txt") else ","


def read_long(
    images: ImageSet | None = None,
    *,
    path: str | Path,
    sep: str | None = None,
    cost: Any = None,
    **options: Any,
) -> CrowdLabels:
    """Read a long answer table into :class:`CrowdLabels`.

    Args:
        images: the split the answers are for.
        path: the file.
        sep: delimiter; ``None`` infers it from the extension (Parquet for ``.parquet``).
        cost: the pricing to attach (:class:`crowdsign.crowd.cost.CostModel`).
        **options: :class:`~crowdsign.crowd.io.common.ReadOptions`.
    """
    opts = ReadOptions(**options)
    summary = LoadSummary(source=f"long {path}")
    path = Path(path)
    delimiter = _sep(path, sep)
    if delimiter is None:
        df = _read_parquet(path)
        rows = np.arange(1, len(df) + 1)
        what = "record"
    else:
        df, rows = read_table(path, opts, summary, sep=delimiter)
        what = "row"
    require_columns(path, df, ["task", "worker", "label"])
    check = Checker(path, len(df), row_locator(rows, what), opts, summary)
    raw = pd.DataFrame({"ref": df["task"], "worker": df["worker"], "label": df["label"]})
    for name in ("seconds", "reward"):
        if name in df.columns:
            raw[name] = check.parse_float(df[name], name)
    if "status" in df.columns:
        raw["status"] = df["status"]
    if "submitted_at" in df.columns:
        raw["submitted_at"] = check.parse_time(df["submitted_at"], "submitted_at")
    columns = {"ref": "task", "worker": "worker", "label": "label"}
    return finish(raw, check, columns, opts, images, cost=cost)


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as all-string columns (``""`` for missing), or a clear error."""
    try:
        df = pd.read_parquet(path)
    except ImportError as e:
        raise ImportError(
            f"{path}: reading Parquet needs pyarrow (pip install pyarrow) — {e}"
        ) from None
    except OSError as e:
        raise CrowdFormatError(path, f"cannot read the file ({e})") from None
    except Exception as e:  # noqa: BLE001 - the engines raise many types for corrupt files
        raise CrowdFormatError(path, f"not a readable Parquet file ({type(e).__name__})") from None
    if df.empty:
        raise CrowdFormatError(path, "no answer rows")
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        col = df[c]
        if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(col):
            col = iso_times(pd.to_datetime(col, utc=True))
        out[str(c)] = col.astype(object).where(col.notna(), "").astype(str)
    return out.reset_index(drop=True)


def write_long(answers: pd.DataFrame, path: str | Path, *, sep: str | None = None) -> Path:
    """Write ``answers`` as CSV/TSV/Parquet (by extension, or ``sep``); lossless."""
    a = canonical(answers)
    path = Path(path)
    delimiter = _sep(path, sep)
    if delimiter is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            a.to_parquet(path, index=False)
        except ImportError as e:
            raise ImportError(
                f"writing Parquet needs pyarrow (pip install pyarrow) — {e}"
            ) from None
        return path
    out = a.copy()
    for name in ("seconds", "reward"):
        if name in out.columns:
            out[name] = format_numbers(out[name])
    if "submitted_at" in out.columns:
        out["submitted_at"] = iso_times(out["submitted_at"])
    return write_delimited(out, path, sep=delimiter)
