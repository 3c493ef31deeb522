"""Helpers the writers share: lossless number text, references, delimited output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def format_numbers(values: pd.Series) -> list[str]:
    """Shortest text that reads back to the same float; integers without ``.0``; NaN as ``""``."""
    out = []
    for v in values.to_numpy(dtype=float):
        if np.isnan(v):
            out.append("")
        elif v.is_integer() and abs(v) < 2**53:
            out.append(str(int(v)))
        else:
            out.append(repr(float(v)))
    return out


def reference(tasks: pd.Series, prefix: str) -> pd.Series:
    """The image reference a platform would show: ``prefix`` + task id."""
    return prefix + tasks.astype(str) if prefix else tasks.astype(str)


def iso_times(times: pd.Series, *, zone: str = "Z") -> pd.Series:
    """UTC times as ISO 8601 with microseconds (``2024-01-10T13:43:20.000000Z``); NaT as ``""``."""
    t = times.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + zone
    return t.fillna("")


def write_delimited(table: pd.DataFrame, path: str | Path, *, sep: str) -> Path:
    """Write ``table`` as UTF-8 CSV/TSV (minimal quoting), creating parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, sep=sep, index=False, lineterminator="\n")
    return path
