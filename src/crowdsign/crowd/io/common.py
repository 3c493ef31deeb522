"""What every export reader shares: file decoding, table parsing, error-or-skip bookkeeping.

A reader turns its format into a *raw* frame — string columns ``ref`` (image reference),
``worker``, ``label`` with ``""`` for missing, plus already-parsed optional columns — and hands
it to :func:`crowdsign.crowd.io.table.finish`, which maps labels through the vocabulary,
references to image ids, drops duplicates and builds the canonical answer table. Every
problem goes through a
:class:`Checker`: with ``on_error="error"`` the first one raises :class:`CrowdFormatError`
naming file, row and column; with ``on_error="skip"`` the rows are dropped, counted and listed
in the :class:`~crowdsign.data.summary.LoadSummary`.

Rows are numbered like a spreadsheet: the header is row 1, the first answer row 2 (JSON
exports name the task and annotation instead).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.data.summary import LoadSummary
from crowdsign.errors import InputError

ON_ERROR = ("error", "skip")
# reasons that are never errors: the answer is fine, it is just not for this split
ALWAYS_DROP = frozenset({"image not in split"})
# cell texts that mean "no value" in an optional numeric or time column, compared case-folded:
# what pandas reads as missing, and what str(float("nan")) / str(pd.NaT) write
MISSING_TOKENS = frozenset(
    {"", "nan", "-nan", "na", "n/a", "#n/a", "#na", "null", "none", "<na>", "nat"}
)


class CrowdFormatError(InputError):
    """A crowd export that cannot be read as configured.

    Attributes:
        path: the file.
        row: where in the file (``"row 7"``, ``"line 3"``, ``"task 2, annotation 0"``) or None.
        column: the column (or JSON key) at fault, or None.
        reason: what is wrong.
    """

    def __init__(
        self, path: str | Path, reason: str, *, row: str | None = None, column: str | None = None
    ) -> None:
        self.path, self.row, self.column, self.reason = str(path), row, column, reason
        where = ", ".join(
            p for p in (row, None if column is None else f"column {column!r}") if p is not None
        )
        super().__init__(f"{self.path}: {where + ': ' if where else ''}{reason}")


@dataclass
class ReadOptions:
    """Options every reader takes (the ``crowd`` config keys shared by all formats).

    Attributes:
        image_root: folder the image ids are relative to; references must resolve inside it.
        refs: how a reference becomes an image id: ``path`` (a path relative to the root, or an
            absolute path inside it), ``basename`` (the file name, matched against the ids'
            file names), ``strip_prefix`` (drop ``prefix``, the rest is a relative path).
        prefix: the URL or path prefix for ``refs=strip_prefix`` (and for writers).
        vocabulary: class name → label strings that mean it (``{"stop": ["Stop sign", "yes"]}``);
            matching ignores case, spaces, ``_`` and ``-``. Class names always match themselves.
        on_error: ``error`` (raise on the first bad row) or ``skip`` (drop, count, list).
        encoding: text encoding; ``None`` reads a BOM if there is one, else UTF-8.
        check_files: with an ``image_root``, refuse references to files that do not exist.
        max_examples: example rows kept per drop reason in the summary.
        gold: a ``task,label`` table of known answers (``crowdsign.crowd.io.gold``), handed to the
            aggregator with any gold column of the export itself.
    """

    image_root: str | None = None
    refs: str = "path"
    prefix: str = ""
    vocabulary: Mapping[str, Any] = field(default_factory=dict)
    on_error: str = "error"
    encoding: str | None = None
    check_files: bool = True
    max_examples: int = 5
    gold: str | None = None

    def __post_init__(self) -> None:
        if self.on_error not in ON_ERROR:
            raise ValueError(f"on_error={self.on_error!r}; expected one of {ON_ERROR}")


# --- bytes → text → table -----------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _load(path: str | Path, encoding: str | None) -> tuple[bytes, str, str]:
    """``(bytes, encoding, text)``; a missing, empty or wrongly encoded file raises."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise CrowdFormatError(path, f"cannot read the file ({e.strerror or e})") from None
    if encoding is None:
        encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        hint = "utf-16" if data.count(b"\x00") > len(data) // 4 else "cp1252 or latin-1"
        raise CrowdFormatError(
            path,
            f"not valid {encoding} (byte {data[e.start]:#04x}); set the crowd config's "
            f"encoding, e.g. {hint}",
            row=f"line {line}",
        ) from None
    except LookupError:
        raise CrowdFormatError(path, f"unknown encoding {encoding!r}") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise CrowdFormatError(path, "the file is empty")
    return data, codecs.lookup(encoding).name, text


def read_text(path: str | Path, encoding: str | None = None) -> str:
    """Decode ``path`` (``encoding`` None: by BOM, else UTF-8), refusing empty files."""
    return _load(path, encoding)[2]


def read_utf8(path: str | Path, encoding: str | None = None) -> bytes:
    """``path`` checked like :func:`read_text`, as UTF-8 bytes without a BOM (for parsers)."""
    data, name, text = _load(path, encoding)
    if name in ("utf-8", "utf-8-sig"):
        return data.removeprefix(codecs.BOM_UTF8)  # already valid UTF-8: no re-encoding
    return text.encode("utf-8")


def read_table(
    path: str | Path, opts: ReadOptions, summary: LoadSummary, *, sep: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse a delimited export into all-string columns; return it and each row's row number.

    Rows with more fields than the header are an error naming the line, or with ``skip``
    dropped as ``unparseable row``; blank rows are ignored.
    """
    data = read_utf8(path, opts.encoding)
    names = _header(path, data, sep)
    skip = opts.on_error == "skip"
    df, bad = _parse(path, data, names, sep, skip)
    if bad:
        examples = [f"line {n}: more fields than the header" for n in bad]
        summary.drop("unparseable row", len(bad), examples)
        summary.read += len(bad)
    # lines pandas skipped shift the row numbers after them
    shift = np.asarray(bad, dtype=np.int64) - np.arange(1, len(bad) + 1)
    rows = np.arange(2, len(df) + 2) + np.searchsorted(shift, np.arange(1, len(df) + 1), "right")
    blank = np.ones(len(df), dtype=bool)
    for c in df.columns:
        blank &= (df[c] == "").to_numpy()
        if not blank.any():
            break
    if blank.any():
        df, rows = df.loc[~blank].reset_index(drop=True), rows[~blank]
    if df.empty:
        raise CrowdFormatError(path, "no answer rows (only a header)")
    return df, rows


def _header(path: str | Path, data: bytes, sep: str) -> list[str]:
    """The stripped column names of the first row; duplicates are an error."""
    head = data[: 1 << 16].decode("utf-8", errors="ignore")
    try:
        header = next(csv.reader(io.StringIO(head, newline=""), delimiter=sep))
    except csv.Error as e:
        raise CrowdFormatError(path, f"unreadable header ({e})", row="row 1") from None
    names = [h.strip() for h in header]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CrowdFormatError(path, f"duplicate column name(s) {dupes}", row="row 1")
    return names


def _parse(
    path: str | Path, data: bytes, names: list[str], sep: str, skip: bool
) -> tuple[pd.DataFrame, list[int]]:
    """All-string columns named ``names``, and the line numbers of rows dropped as too long."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            df = pd.read_csv(
                io.BytesIO(data),
                encoding="utf-8",
                sep=sep,
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
                on_bad_lines="warn" if skip else "error",
                engine="c",
                index_col=False,  # never take the first column as an index (see below)
            )
        except (pd.errors.ParserError, ValueError, csv.Error) as e:
            m = re.search(r"line (\d+)|row (\d+)", str(e))
            where = f"line {m.group(1) or m.group(2)}" if m else None
            raise CrowdFormatError(
                path, f"cannot parse ({str(e).split('. ')[-1].strip()})", row=where
            ) from None
    df.columns = names[: len(df.columns)] + list(df.columns[len(names) :])
    bad = sorted(
        int(n)
        for w in caught
        if issubclass(w.category, pd.errors.ParserWarning)
        for n in re.findall(r"Skipping line (\d+)", str(w.message))
    )
    if any("Length of header or names does not match" in str(w.message) for w in caught):
        # The first row had one field more than the header: pandas cut it to the header's
        # length (a trailing separator loses nothing; anything else must not vanish silently).
        rows_in = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=sep)
        next(rows_in, None)
        record = next(rows_in, [])
        if any(v.strip() for v in record[len(names) :]):
            if not skip:
                raise CrowdFormatError(path, "more fields than the header", row="line 2")
            df = df.iloc[1:].reset_index(drop=True)
            bad = sorted([2, *bad])
    return df, bad


def require_columns(path: str | Path, df: pd.DataFrame, columns: list[str]) -> None:
    """Raise naming the missing columns, the ones present, and a separator hint."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        hint = ""
        if len(df.columns) == 1 and ("\t" in df.columns[0] or "," in df.columns[0]):
            hint = " (one column only: is the separator right?)"
        raise CrowdFormatError(
            path, f"missing column(s) {missing}; have {list(df.columns)[:20]}{hint}", row="row 1"
        )


# --- error-or-skip -----------------------------------------------------------------------------
Details = str | np.ndarray | Callable[[np.ndarray], Any]


class Checker:
    """Flags bad rows: raises on the first (``on_error="error"``) or drops and counts them.

    Attributes:
        keep: ``(n_rows,)`` bool, rows not dropped so far.
    """

    def __init__(
        self,
        path: str | Path,
        n_rows: int,
        locate: Callable[[np.ndarray], list[str]],
        opts: ReadOptions,
        summary: LoadSummary,
    ) -> None:
        self.path, self.locate, self.opts, self.summary = path, locate, opts, summary
        self.keep = np.ones(n_rows, dtype=bool)
        summary.read += n_rows
        summary.max_examples = opts.max_examples

    def flag(self, mask: np.ndarray, reason: str, column: str | None, details: Details) -> None:
        """Drop (or raise on) rows in ``mask`` still kept.

        ``details`` describes each row: one str for all, an array with one value per row, or a
        function of the row positions (so per-row text is only built for the few shown).
        """
        idx = np.flatnonzero(np.asarray(mask, dtype=bool) & self.keep)
        if not len(idx):
            return
        shown = idx[: self.opts.max_examples]
        if isinstance(details, str):
            texts = [details] * len(shown)
        elif callable(details):
            texts = [str(v) for v in details(shown)]
        else:
            texts = [str(v) for v in np.asarray(details, dtype=object)[shown]]
        if self.opts.on_error == "error" and reason not in ALWAYS_DROP:
            raise CrowdFormatError(
                self.path, f"{reason}: {texts[0]}", row=self.locate(shown[:1])[0], column=column
            )
        col = "" if column is None else f" {column!r}"
        examples = [f"{at}{col}: {t}" for at, t in zip(self.locate(shown), texts, strict=True)]
        self.summary.drop(reason, len(idx), examples)
        self.keep[idx] = False

    def parse_float(self, values: pd.Series, column: str, *, strip: str = "") -> np.ndarray:
        """Non-negative floats; a blank or a missing token (``nan``, ``NA``, ``null``, ...;
        :data:`MISSING_TOKENS`) is NaN, anything else unparseable is flagged."""
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, copy=True)
        odd = np.isnan(x)
        if odd.any():  # blanks, "nan", "$0.05", " 3 ", junk: the slow path, only for those rows
            s = values[odd].astype(str).str.strip()
            if strip:
                s = s.str.replace(strip, "", regex=False)
            given = ~_missing(s)
            x[odd] = pd.to_numeric(s.where(given, None), errors="coerce").to_numpy(dtype=float)
            odd[odd] = given.to_numpy()
        bad = (odd & np.isnan(x)) | (x < 0)
        self.flag(bad, "unparseable value", column, lambda i: [repr(v) for v in values.iloc[i]])
        return np.where(bad, np.nan, x)

    def parse_time(self, values: pd.Series, column: str, fmt: str = "ISO8601") -> pd.Series:
        """UTC timestamps (naive times are taken as UTC); a blank or a missing token is NaT,
        junk is flagged."""
        t = pd.to_datetime(values, utc=True, format=fmt, errors="coerce")
        odd = np.array(t.isna(), dtype=bool)
        if odd.any():  # blanks, padded text, junk: the slow path, only for those rows
            s = values[odd].astype(str).str.strip()
            given = ~_missing(s)
            fixed = pd.to_datetime(s.where(given, None), utc=True, format=fmt, errors="coerce")
            t = t.fillna(fixed)
            odd[odd] = given.to_numpy()
        bad = odd & np.array(t.isna(), dtype=bool)
        self.flag(bad, "unparseable value", column, lambda i: [repr(v) for v in values.iloc[i]])
        return t.dt.as_unit("us")


def _missing(texts: pd.Series) -> pd.Series:
    """Which stripped cell texts mean "no value" (:data:`MISSING_TOKENS`, any case)."""
    return texts.str.casefold().isin(MISSING_TOKENS)


def row_locator(rows: np.ndarray, what: str = "row") -> Callable[[np.ndarray], list[str]]:
    """A ``locate`` for :class:`Checker` naming ``rows[i]`` as ``"row N"``."""
    return lambda idx: [f"{what} {r}" for r in rows[idx]]
