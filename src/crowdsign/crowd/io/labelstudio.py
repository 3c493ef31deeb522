"""Label Studio JSON export (a list of tasks with their annotations).

Each task: ``{"id", "data": {"image": <url or path>}, "annotations": [{"completed_by",
"result": [{"type": "choices", "from_name", "value": {"choices": [<label>]}}], "lead_time",
"created_at", "was_cancelled"}]}``. Quirks handled: ``completed_by`` as an id or as a
``{"id", "email"}`` object (older versions); cancelled (skipped) annotations; annotations with
no choice or several; uploaded files renamed ``/data/upload/<project>/<8 hex>-<name>`` (the hash
is dropped for ``refs=basename``); local-storage references ``/data/local-files/?d=<path>``
(read with ``refs=strip_prefix``, ``prefix="/data/local-files/?d="``). Label Studio has no
reward or review status, so those columns are not carried.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.io.common import Checker, CrowdFormatError, ReadOptions
from crowdsign.crowd.io.common import read_text as _read_text
from crowdsign.crowd.io.table import canonical, finish
from crowdsign.crowd.io.writing import iso_times, reference
from crowdsign.data.imageset import ImageSet
from crowdsign.data.summary import LoadSummary

_UPLOAD = re.compile(r"^(/data/upload/(?:\d+/)?)[0-9a-f]{8}-")


def read_labelstudio(
    images: ImageSet | None = None,
    *,
    path: str | Path,
    image_field: str = "image",
    from_name: str | None = None,
    cost: Any = None,
    **options: Any,
) -> CrowdLabels:
    """Read a Label Studio JSON export into :class:`CrowdLabels`.

    Args:
        images: the split the answers are for.
        path: the JSON file.
        image_field: key of ``task["data"]`` holding the image reference.
        from_name: the ``<Choices name=...>`` control to read; ``None`` reads every
            ``choices`` result (an annotation must then hold exactly one).
        cost: the pricing to attach (:class:`crowdsign.crowd.cost.CostModel`).
        **options: :class:`~crowdsign.crowd.io.common.ReadOptions`.
    """
    opts = ReadOptions(**options)
    summary = LoadSummary(source=f"labelstudio {path}")
    try:
        tasks = json.loads(_read_text(path, opts.encoding))
    except json.JSONDecodeError as e:
        raise CrowdFormatError(
            path,
            f"not JSON ({e.msg}): the file is cut off or not a Label Studio export; "
            "export the project again as JSON",
            row=f"line {e.lineno}",
        ) from None
    if not isinstance(tasks, list):
        raise CrowdFormatError(path, "expected a JSON list of tasks (Label Studio JSON export)")
    cols: dict[str, list[Any]] = {k: [] for k in ("ref", "worker", "label", "secs", "time")}
    where: list[str] = []
    problem: list[tuple[str, str, str]] = []  # (reason, key, detail) or ("", "", "")
    for i, task in enumerate(tasks):
        _task(task, i, image_field, from_name, cols, where, problem)
    if not where:
        raise CrowdFormatError(path, "no annotations in the export")
    locate = np.asarray(where, dtype=object)
    check = Checker(path, len(where), lambda idx: list(locate[idx]), opts, summary)
    kinds = np.asarray([p[0] for p in problem], dtype=object)
    for reason in pd.unique(kinds[kinds != ""]):
        mask = kinds == reason
        key = next(p[1] for p in problem if p[0] == reason)
        check.flag(mask, str(reason), key, np.asarray([p[2] for p in problem], dtype=object))
    raw = pd.DataFrame({k: cols[k] for k in ("ref", "worker", "label")}, dtype=object)
    raw = raw.fillna("").astype(str)
    raw["seconds"] = check.parse_float(pd.Series(cols["secs"], dtype=object), "lead_time")
    raw["submitted_at"] = check.parse_time(pd.Series(cols["time"], dtype=object), "created_at")
    if opts.refs == "basename":
        raw["ref"] = raw["ref"].str.replace(_UPLOAD, r"\1", regex=True)
    columns = {"ref": f"data.{image_field}", "worker": "completed_by", "label": "choices"}
    return finish(raw, check, columns, opts, images, cost=cost)


def _task(
    task: Any,
    i: int,
    image_field: str,
    from_name: str | None,
    cols: dict[str, list[Any]],
    where: list[str],
    problem: list[tuple[str, str, str]],
) -> None:
    """Append one row per annotation of ``task`` (or one problem row if it is malformed)."""

    def row(at: str, ref: Any, ann: Any, label: Any, bad: tuple[str, str, str]) -> None:
        ann = ann if isinstance(ann, dict) else {}
        worker = ann.get("completed_by")
        if isinstance(worker, dict):
            worker = worker.get("email") or worker.get("id")
        cols["ref"].append(ref if isinstance(ref, str) else "")
        cols["worker"].append("" if worker is None or isinstance(worker, bool) else str(worker))
        cols["label"].append(label)
        secs, time = ann.get("lead_time"), ann.get("created_at")
        cols["secs"].append("" if secs is None else str(secs))
        cols["time"].append(time if isinstance(time, str) else "" if time is None else "?")
        where.append(at)
        problem.append(bad)

    at = f"task {i}" + (f" (id {task.get('id')})" if isinstance(task, dict) else "")
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        return row(at, "", None, "", ("malformed record", "data", "not a task with data"))
    ref = task["data"].get(image_field)
    anns = task.get("annotations", [])
    if not isinstance(ref, str):
        return row(at, "", None, "", ("malformed record", f"data.{image_field}", "no reference"))
    if not isinstance(anns, list):
        return row(at, ref, None, "", ("malformed record", "annotations", "not a list"))
    for j, ann in enumerate(anns):
        here = f"{at}, annotation {j}"
        if not isinstance(ann, dict) or not isinstance(ann.get("result", []), list):
            row(here, ref, None, "", ("malformed record", "result", "not an annotation"))
            continue
        if ann.get("was_cancelled") is True:
            row(here, ref, ann, "", ("cancelled annotation", "was_cancelled", "skipped"))
            continue
        picked = [
            r["value"].get("choices")
            for r in ann.get("result", [])
            if isinstance(r, dict)
            and r.get("type", "choices") == "choices"
            and (from_name is None or r.get("from_name") == from_name)
            and isinstance(r.get("value"), dict)
        ]
        if any(p is not None and not isinstance(p, list) for p in picked):
            row(here, ref, ann, "", ("malformed record", "choices", "choices is not a list"))
            continue
        choices = [c for p in picked if p for c in p]
        if len(choices) > 1:
            row(here, ref, ann, "", ("ambiguous answer", "choices", f"choices {choices}"))
        elif choices and not isinstance(choices[0], str):
            row(here, ref, ann, "", ("malformed record", "choices", f"{choices[0]!r}"))
        else:
            row(here, ref, ann, choices[0] if choices else "", ("", "", ""))


def write_labelstudio(
    answers: pd.DataFrame,
    path: str | Path,
    *,
    image_field: str = "image",
    from_name: str = "label",
    prefix: str = "",
) -> Path:
    """Write ``answers`` as a Label Studio JSON export (one task per image, in first-seen order).

    Workers whose ids are digits become ``completed_by: <int>``, others
    ``{"id": <n>, "email": <worker>}``. ``reward`` and ``status`` are not part of the format.
    """
    a = canonical(answers)
    order = pd.unique(a["task"])
    refs = reference(pd.Series(order, dtype="str"), prefix)
    codes = pd.Index(order).get_indexer(a["task"])
    wcodes, wuniq = pd.factorize(a["worker"])
    secs = a["seconds"].to_numpy() if "seconds" in a.columns else np.full(len(a), np.nan)
    times = iso_times(a["submitted_at"]) if "submitted_at" in a.columns else None
    tasks: list[dict[str, Any]] = [
        {"id": t + 1, "data": {image_field: r}, "annotations": [], "predictions": []}
        for t, r in enumerate(refs)
    ]
    for i, (t, w, label) in enumerate(zip(codes, wcodes, a["label"], strict=True)):
        worker = str(wuniq[w])
        ann: dict[str, Any] = {
            "id": i + 1,
            "completed_by": int(worker)
            if worker.isdigit() and str(int(worker)) == worker
            else {"id": int(w) + 1, "email": worker},
            "result": [
                {
                    "id": f"r{i}",
                    "type": "choices",
                    "from_name": from_name,
                    "to_name": image_field,
                    "origin": "manual",
                    "value": {"choices": [label]},
                }
            ],
            "was_cancelled": False,
            "ground_truth": False,
            "task": int(t) + 1,
        }
        if not np.isnan(secs[i]):
            ann["lead_time"] = float(secs[i])
        if times is not None and times.iloc[i]:
            ann["created_at"] = ann["updated_at"] = times.iloc[i]
        tasks[t]["annotations"].append(ann)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
