"""Toloka assignment results TSV (``assignments_from_pool_<id>.tsv``).

Columns ``INPUT:<field>`` (image URL or path), ``OUTPUT:<field>`` (label),
``ASSIGNMENT:worker_id``, ``ASSIGNMENT:status`` (APPROVED / REJECTED / SUBMITTED / EXPIRED /
SKIPPED), ``ASSIGNMENT:started``, ``ASSIGNMENT:submitted`` (ISO times, UTC) and optionally
``ASSIGNMENT:assignment_id``, ``ASSIGNMENT:reward``; ``GOLDEN:<output field>`` (the control
tasks' known answers) becomes ``CrowdLabels.gold``; ``HINT:*`` and ``ASSIGNMENT:link`` are
ignored. Quirk handled: a Toloka assignment is a *task suite* of several
images, one row each, with one reward and one start/submit time for the whole suite; reward and
work time are split evenly over the suite's rows (rows of one ``assignment_id``).
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
from crowdsign.crowd.io.writing import format_numbers, iso_times, reference, write_delimited
from crowdsign.data.imageset import ImageSet
from crowdsign.data.summary import LoadSummary

WORKER, STATUS = "ASSIGNMENT:worker_id", "ASSIGNMENT:status"
STARTED, SUBMITTED = "ASSIGNMENT:started", "ASSIGNMENT:submitted"
ASSIGNMENT, REWARD = "ASSIGNMENT:assignment_id", "ASSIGNMENT:reward"


def read_toloka(
    images: ImageSet | None = None,
    *,
    path: str | Path,
    input_field: str | None = "image",
    output_field: str | None = "result",
    cost: Any = None,
    **options: Any,
) -> CrowdLabels:
    """Read a Toloka results TSV into :class:`CrowdLabels`.

    Args:
        images: the split the answers are for.
        path: the TSV file.
        input_field, output_field: ``<field>`` of ``INPUT:<field>`` / ``OUTPUT:<field>``;
            ``None`` (or a name that is absent while exactly one such column exists) takes the
            only one.
        cost: the pricing to attach (:class:`crowdsign.crowd.cost.CostModel`).
        **options: :class:`~crowdsign.crowd.io.common.ReadOptions`.
    """
    opts = ReadOptions(**options)
    summary = LoadSummary(source=f"toloka {path}")
    df, rows = read_table(path, opts, summary, sep="\t")
    inp = _pick(path, df, "INPUT:", input_field)
    out = _pick(path, df, "OUTPUT:", output_field)
    require_columns(path, df, [inp, out, WORKER])
    check = Checker(path, len(df), row_locator(rows), opts, summary)
    raw = pd.DataFrame({"ref": df[inp], "worker": df[WORKER], "label": df[out]})
    if STATUS in df.columns:
        raw["status"] = df[STATUS]
    golden = "GOLDEN:" + out.removeprefix("OUTPUT:")
    if golden in df.columns:
        raw["gold"] = df[golden]
    suite = np.ones(len(df))
    if ASSIGNMENT in df.columns:
        ids = df[ASSIGNMENT].str.strip()
        sizes = ids.groupby(ids).transform("size").to_numpy(dtype=float)
        suite = np.where(ids.to_numpy(dtype=object) == "", 1.0, sizes)
    if SUBMITTED in df.columns:
        submitted = check.parse_time(df[SUBMITTED], SUBMITTED)
        raw["submitted_at"] = submitted
        if STARTED in df.columns:
            started = check.parse_time(df[STARTED], STARTED)
            seconds = (submitted - started).dt.total_seconds().to_numpy(dtype=float)
            check.flag(seconds < 0, "unparseable value", STARTED, "started after submitted")
            raw["seconds"] = seconds / suite
    if REWARD in df.columns:
        raw["reward"] = check.parse_float(df[REWARD], REWARD) / suite
    return finish(raw, check, {"ref": inp, "worker": WORKER, "label": out}, opts, images, cost=cost)


def _pick(path: str | Path, df: pd.DataFrame, kind: str, name: str | None) -> str:
    if name is not None and f"{kind}{name}" in df.columns:
        return f"{kind}{name}"
    found = [c for c in df.columns if c.startswith(kind)]
    if len(found) == 1:
        return found[0]
    which = "input_field" if kind == "INPUT:" else "output_field"
    raise CrowdFormatError(
        path,
        f"no column {kind}{name}; {kind}* columns are {found}: set the crowd config's {which}",
        row="row 1",
    )


def write_toloka(
    answers: pd.DataFrame,
    path: str | Path,
    *,
    input_field: str = "image",
    output_field: str = "result",
    prefix: str = "",
) -> Path:
    """Write ``answers`` as a Toloka results TSV, one single-task suite per answer.

    Work time is stored as ``started = submitted - seconds``, so ``seconds`` needs a
    ``submitted_at`` column to survive the trip.
    """
    a = canonical(answers)
    if "seconds" in a.columns and "submitted_at" not in a.columns:
        raise ValueError("Toloka stores work time as started/submitted: add submitted_at")
    out = pd.DataFrame(
        {
            f"INPUT:{input_field}": reference(a["task"], prefix),
            f"OUTPUT:{output_field}": a["label"],
            ASSIGNMENT: [f"0000{i:012x}--asg" for i in range(len(a))],
            WORKER: a["worker"],
        }
    )
    if "status" in a.columns:
        out[STATUS] = a["status"].str.upper().fillna("")
    if "submitted_at" in a.columns:
        if "seconds" in a.columns:
            gap = pd.to_timedelta(a["seconds"].round(6), unit="s")
            out[STARTED] = iso_times(a["submitted_at"] - gap, zone="")
        out[SUBMITTED] = iso_times(a["submitted_at"], zone="")
    if "reward" in a.columns:
        out[REWARD] = format_numbers(a["reward"])
    return write_delimited(out, path, sep="\t")
