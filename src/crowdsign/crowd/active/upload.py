"""The next batch as the platforms take it.

- MTurk: a batch *input* CSV with one column ``image_url`` (the HIT template's
  ``${image_url}``), one row per HIT; the answers wanted are the HIT's assignments, so rows are
  split into ``mturk_batch_input_k<m>.csv`` files when images want different counts (with one
  count: ``mturk_batch_input.csv``). A HIT never gets two assignments from one worker.
- Toloka: a tasks TSV with ``INPUT:image``; overlap (answers wanted) is a pool setting, so
  rows are split by count the same way.
- Label Studio: a tasks JSON ``[{"data": {"image": url}}, ...]`` with the count in ``meta``.

Workers who already answered an image cannot be excluded per task on these platforms (MTurk's
extra assignments on the same HIT do exclude them); ``next_batch.csv`` lists them, and flagged
workers go to ``blocked_workers.csv`` to block or leave out by qualification.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from crowdsign.crowd.active.errors import LabelError
from crowdsign.crowd.io.writing import reference, write_delimited

PLATFORMS = ("mturk", "toloka", "labelstudio")
# crowd-source reader → its platform
SOURCE_PLATFORM = {
    "read_mturk": "mturk",
    "read_toloka": "toloka",
    "read_labelstudio": "labelstudio",
}


def platforms_for(option: str, crowd_target: str) -> list[str]:
    """The platforms to write for ``batch.platform`` (``auto`` follows the crowd source)."""
    if option == "all":
        return list(PLATFORMS)
    if option == "auto":
        name = crowd_target.rsplit(".", 1)[-1]
        return [SOURCE_PLATFORM[name]] if name in SOURCE_PLATFORM else list(PLATFORMS)
    if option not in PLATFORMS:
        raise LabelError(
            f"batch.platform={option!r} is not one of auto, all, {', '.join(PLATFORMS)}"
        )
    return [option]


def _by_count(plan: pd.DataFrame, stem: str, ext: str) -> list[tuple[Path, pd.DataFrame]]:
    counts = sorted(plan["wanted"].unique())
    if len(counts) == 1:
        return [(Path(f"{stem}{ext}"), plan)]
    return [(Path(f"{stem}_k{m}{ext}"), plan[plan["wanted"] == m]) for m in counts]


def write_upload(plan: pd.DataFrame, out_dir: Path, platform: str, url_prefix: str) -> list[Path]:
    """Write ``plan`` (columns task, wanted) as ``platform``'s upload file(s) in ``out_dir``."""
    written = []
    url = reference(plan["task"], url_prefix)
    if platform == "labelstudio":
        tasks = [
            {"data": {"image": u}, "meta": {"answers_wanted": int(m)}}
            for u, m in zip(url, plan["wanted"], strict=True)
        ]
        path = out_dir / "labelstudio_tasks.json"
        path.write_text(json.dumps(tasks, indent=1), encoding="utf-8")
        return [path]
    stem, ext, column = {
        "mturk": ("mturk_batch_input", ".csv", "image_url"),
        "toloka": ("toloka_tasks", ".tsv", "INPUT:image"),
    }[platform]
    framed = plan.assign(_url=url)
    for name, part in _by_count(framed, stem, ext):
        table = pd.DataFrame({column: part["_url"]})
        written.append(write_delimited(table, out_dir / name, sep="," if ext == ".csv" else "\t"))
    return written
