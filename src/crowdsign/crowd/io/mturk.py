"""Amazon Mechanical Turk batch results CSV (``Batch_<id>_batch_results.csv``).

One row per assignment: ``HITId``, ``AssignmentId``, ``WorkerId``, ``AssignmentStatus``
(Submitted / Approved / Rejected), ``WorkTimeInSeconds``, ``Reward`` (``$0.05``), ``SubmitTime``
(``Wed Jan 10 13:43:20 PST 2024``), ``Input.<field>`` (the image URL or path) and
``Answer.<field>`` (the label). One image per HIT is assumed, so reward and work time are per
answer. Quirks handled: an Excel BOM, ``$`` in rewards, time-zone names in times, radio-button
answers exported as one true/false column per choice (``Answer.sign.stop`` = ``true``), blank
trailing rows, the same assignment downloaded twice.
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
from crowdsign.crowd.io.writing import format_numbers, reference, write_delimited
from crowdsign.data.imageset import ImageSet
from crowdsign.data.summary import LoadSummary

_TZ = {
    "UTC": "+0000",
    "GMT": "+0000",
    "Z": "+0000",
    "PST": "-0800",
    "PDT": "-0700",
    "MST": "-0700",
    "MDT": "-0600",
    "CST": "-0600",
    "CDT": "-0500",
    "EST": "-0500",
    "EDT": "-0400",
}
_TRUE = frozenset({"true", "1", "on", "yes"})
_FALSE = frozenset({"false", "0", "off", "no", ""})


def read_mturk(
    images: ImageSet | None = None,
    *,
    path: str | Path,
    input_field: str | None = None,
    answer_field: str | None = None,
    cost: Any = None,
    **options: Any,
) -> CrowdLabels:
    """Read an MTurk batch results CSV into :class:`CrowdLabels`.

    Args:
        images: the split the answers are for (the training pipeline passes the train split).
        path: the CSV file.
        input_field: ``<field>`` of the ``Input.<field>`` column holding the image reference;
            ``None`` takes the only ``Input.*`` column.
        answer_field: ``<field>`` of ``Answer.<field>`` (a text column, or a group of
            true/false columns ``Answer.<field>.<choice>``); ``None`` takes the only one.
        cost: the pricing to attach (:class:`crowdsign.crowd.cost.CostModel`).
        **options: :class:`~crowdsign.crowd.io.common.ReadOptions`.
    """
    opts = ReadOptions(**options)
    summary = LoadSummary(source=f"mturk {path}")
    df, rows = read_table(path, opts, summary, sep=",")
    inp = "Input." + _pick(path, df, "Input.", input_field)
    require_columns(path, df, ["WorkerId", inp])
    check = Checker(path, len(df), row_locator(rows), opts, summary)
    label, answer_col = _answers(path, df, answer_field, check)
    raw = pd.DataFrame({"ref": df[inp], "worker": df["WorkerId"], "label": label})
    if "AssignmentStatus" in df.columns:
        raw["status"] = df["AssignmentStatus"]
    if "WorkTimeInSeconds" in df.columns:
        raw["seconds"] = check.parse_float(df["WorkTimeInSeconds"], "WorkTimeInSeconds")
    if "Reward" in df.columns:
        raw["reward"] = check.parse_float(df["Reward"], "Reward", strip="$")
    if "SubmitTime" in df.columns:
        raw["submitted_at"] = _submit_time(df["SubmitTime"], check)
    columns = {"ref": inp, "worker": "WorkerId", "label": answer_col}
    return finish(raw, check, columns, opts, images, cost=cost)


def _pick(path: str | Path, df: pd.DataFrame, kind: str, name: str | None) -> str:
    """The ``<field>`` of a ``kind<field>`` column: ``name``, or the only one there is."""
    if name is not None:
        return name
    fields = sorted({c[len(kind) :].split(".")[0] for c in df.columns if c.startswith(kind)})
    key = f"crowd.{'input' if kind == 'Input.' else 'answer'}_field"
    if not fields:
        raise CrowdFormatError(
            path,
            f"no {kind}* column: pass the batch results CSV MTurk gives for download "
            f"(it has one {kind}<field> column), or name the column's field with {key}",
            row="row 1",
        )
    if len(fields) > 1:
        raise CrowdFormatError(
            path, f"several {kind}* columns ({fields}); choose one with {key}", row="row 1"
        )
    return fields[0]


def _answers(
    path: str | Path, df: pd.DataFrame, name: str | None, check: Checker
) -> tuple[pd.Series, str]:
    """The label per row, from ``Answer.<name>`` or from true/false ``Answer.<name>.<choice>``."""
    name = _pick(path, df, "Answer.", name)
    col = f"Answer.{name}"
    if col in df.columns:
        return df[col], col
    group = [c for c in df.columns if c.startswith(col + ".")]
    if not group:
        require_columns(path, df, [col])
    if len(group) == 1:  # e.g. crowd-image-classifier's Answer.category.label
        return df[group[0]], group[0]
    flags = np.stack([df[c].str.strip().str.lower().to_numpy(dtype=object) for c in group], 1)
    on = np.isin(flags, list(_TRUE))
    junk = ~on & ~np.isin(flags, list(_FALSE))
    check.flag(junk.any(1), "unparseable value", col + ".*", "not true/false")
    check.flag(on.sum(1) > 1, "ambiguous answer", col + ".*", "several choices are true")
    choices = np.array([c[len(col) + 1 :] for c in group] + [""], dtype=object)
    first = np.where(on.any(1), on.argmax(1), len(group))
    return pd.Series(choices[first], index=df.index), col


def _submit_time(values: pd.Series, check: Checker) -> pd.Series:
    """``Wed Jan 10 13:43:20 PST 2024`` (or ISO 8601) as UTC; junk is flagged."""
    s = values.astype(str).str.strip()
    parts = s.str.extract(r"^(\w{3} \w{3} +\d{1,2} \d{2}:\d{2}:\d{2}) ([A-Z]{1,5}) (\d{4})$")
    fixed = parts[0] + " " + parts[1].map(_TZ) + " " + parts[2]
    t = pd.to_datetime(fixed, format="%a %b %d %H:%M:%S %z %Y", utc=True, errors="coerce")
    rest = t.isna() & (s != "")
    if rest.any():
        iso = pd.to_datetime(s.where(rest), utc=True, format="ISO8601", errors="coerce")
        t = t.where(~rest, iso)
    bad = ((s != "") & t.isna()).to_numpy()
    check.flag(bad, "unparseable value", "SubmitTime", values.to_numpy(dtype=object))
    return t.dt.as_unit("us")


def write_mturk(
    answers: pd.DataFrame,
    path: str | Path,
    *,
    input_field: str = "image_url",
    answer_field: str = "label",
    prefix: str = "",
) -> Path:
    """Write ``answers`` as an MTurk batch results CSV (one HIT per task).

    ``prefix`` is put before each task id in ``Input.<input_field>`` (read it back with
    ``refs="strip_prefix"``). Times are written in UTC to the second, as MTurk does.
    """
    a = canonical(answers)
    hit_code, _ = pd.factorize(a["task"])
    out = pd.DataFrame(
        {
            "HITId": [f"HIT{c:07d}" for c in hit_code],
            "MaxAssignments": a.groupby("task")["task"].transform("size").to_numpy(),
            "AssignmentId": [f"ASG{i:08d}" for i in range(len(a))],
            "WorkerId": a["worker"],
        }
    )
    if "status" in a.columns:
        out["AssignmentStatus"] = a["status"].str.capitalize().fillna("")
    if "submitted_at" in a.columns:
        t = a["submitted_at"].dt.tz_convert("UTC").dt.strftime("%a %b %d %H:%M:%S UTC %Y")
        out["SubmitTime"] = t.fillna("")
    if "seconds" in a.columns:
        out["WorkTimeInSeconds"] = format_numbers(a["seconds"])
    if "reward" in a.columns:
        out["Reward"] = ["$" + r if r else "" for r in format_numbers(a["reward"])]
    out[f"Input.{input_field}"] = reference(a["task"], prefix)
    out[f"Answer.{answer_field}"] = a["label"]
    return write_delimited(out, path, sep=",")
