"""Raw reader rows → the canonical answer table (shared last step of every reader)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.io.common import Checker, CrowdFormatError, ReadOptions
from crowdsign.crowd.io.gold import merge_gold, read_gold
from crowdsign.crowd.io.resolve import RefResolver, Vocabulary
from crowdsign.data.imageset import ImageSet

OPTIONAL = ("seconds", "reward", "status", "submitted_at")


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, stripped unique strings)``; string work then runs once per unique value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    stripped = np.array([str(u).strip() for u in uniques], dtype=object)
    return codes, stripped


def _strings(uniques: np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``uniques[codes]`` as a ``str`` array, converting each unique string only once."""
    safe = np.where(pd.isna(uniques), "", uniques).astype(object)
    return pd.array(safe, dtype="str").take(codes)


def finish(
    raw: pd.DataFrame,
    check: Checker,
    columns: Mapping[str, str],
    opts: ReadOptions,
    images: ImageSet | None,
    *,
    cost: Any = None,
) -> CrowdLabels:
    """Map labels and references, drop duplicates, and build the canonical :class:`CrowdLabels`.

    Args:
        raw: columns ``ref``, ``worker``, ``label`` (str, ``""`` missing) and any of
            ``seconds``, ``reward`` (float), ``status`` (str), ``submitted_at`` (UTC times).
        check: the reader's checker (its ``keep`` says which rows survived so far).
        columns: canonical name → the export's column name, for messages.
        opts: reference rule, vocabulary, on_error.
        images: the split the answers are for; answers for other images are dropped and
            counted (``image not in split``), labels must map to its class names.
        cost: the pricing to attach to the result.
    """
    coded = {key: _factorize(raw[key]) for key in ("ref", "worker", "label")}
    for key, (codes, uniq) in coded.items():
        check.flag((uniq == "")[codes], "missing value", columns[key], "empty")
    vocab = Vocabulary(None if images is None else images.class_names, opts.vocabulary)
    labels_u = _map_labels(coded["label"], vocab, check, columns["label"])
    ids_u = _resolve_refs(coded["ref"], check, columns["ref"], opts, images)
    _flag_duplicates(coded, ids_u, check, columns["worker"])
    answers = _answer_table(raw, coded, ids_u, labels_u, check.keep)
    check.summary.kept = len(answers)
    if answers.empty:
        raise CrowdFormatError(
            check.path, f"no answers left after loading: {dict(check.summary.dropped)}"
        )
    keep = check.keep
    gold = _gold(raw, keep, vocab, answers["task"]) if "gold" in raw.columns else None
    if opts.gold:
        classes = None if images is None else images.class_names
        gold = merge_gold(gold, read_gold(opts.gold, classes, opts.vocabulary))
    return CrowdLabels(answers=answers, summary=check.summary, cost=cost, gold=gold)


Coded = tuple[np.ndarray, np.ndarray]  # (codes per row, stripped unique strings)


def _map_labels(label: Coded, vocab: Vocabulary, check: Checker, column: str) -> np.ndarray:
    """Class name per unique label; rows with an unknown label are flagged."""
    codes, uniq = label
    labels_u, unknown_u, why_u = vocab.map(uniq)
    check.flag(unknown_u[codes], "unknown label", column, lambda i: why_u[codes[i]])
    return labels_u


def _resolve_refs(
    ref: Coded, check: Checker, column: str, opts: ReadOptions, images: ImageSet | None
) -> np.ndarray:
    """Image id per unique reference still kept (None elsewhere); problems are flagged."""
    rcodes, runiq = ref
    wanted = np.zeros(len(runiq), dtype=bool)
    wanted[rcodes[check.keep]] = True
    resolver = RefResolver(opts.refs, opts.prefix, opts.image_root, images, opts.check_files)
    ids_u = np.full(len(runiq), None, dtype=object)
    problem_u = np.full(len(runiq), "", dtype=object)
    detail_u = np.full(len(runiq), "", dtype=object)
    ids_u[wanted], problem_u[wanted], detail_u[wanted] = resolver.resolve(runiq[wanted])
    for reason in pd.unique(problem_u[problem_u != ""]):
        bad = (problem_u == reason)[rcodes]
        check.flag(bad, str(reason), column, lambda i: detail_u[rcodes[i]])
    return ids_u


def _flag_duplicates(
    coded: dict[str, Coded], ids_u: np.ndarray, check: Checker, column: str
) -> None:
    """A worker's second answer on the same image is dropped."""
    (rcodes, _), (wcodes, wuniq) = coded["ref"], coded["worker"]
    task_code_u, _ = pd.factorize(ids_u, use_na_sentinel=False)
    worker_code_u, _ = pd.factorize(wuniq, use_na_sentinel=False)
    pair = task_code_u[rcodes].astype(np.int64) * (len(wuniq) + 1) + worker_code_u[wcodes]
    kept = np.flatnonzero(check.keep)
    again = np.zeros(len(rcodes), dtype=bool)
    again[kept[pd.Series(pair[kept]).duplicated().to_numpy()]] = True
    check.flag(
        again,
        "duplicate answer",
        column,
        lambda i: [
            f"worker {w} answered {t} before"
            for w, t in zip(wuniq[wcodes[i]], ids_u[rcodes[i]], strict=True)
        ],
    )


def _answer_table(
    raw: pd.DataFrame,
    coded: dict[str, Coded],
    ids_u: np.ndarray,
    labels_u: np.ndarray,
    keep: np.ndarray,
) -> pd.DataFrame:
    """The kept rows as the canonical answer table."""
    (rcodes, _), (wcodes, wuniq), (codes, _) = coded["ref"], coded["worker"], coded["label"]
    lcodes, lnames = pd.factorize(labels_u, use_na_sentinel=False)
    out = pd.DataFrame(
        {
            "task": _strings(ids_u, rcodes[keep]),
            "worker": _strings(wuniq, wcodes[keep]),
            "label": _strings(np.asarray(lnames, dtype=object), lcodes[codes[keep]]),
        }
    )
    for name in OPTIONAL:
        if name in raw.columns:  # .array: a tz-aware column as numpy would be Timestamp objects
            out[name] = raw[name].array[keep]
    return canonical(out)


def _gold(raw: pd.DataFrame, keep: np.ndarray, vocab: Vocabulary, task: pd.Series) -> pd.Series:
    """Known labels from an export's gold column (e.g. Toloka ``GOLDEN:result``), per task.

    Rows with an empty gold value are ordinary questions; a gold value that maps to no class
    is left out (it names a class this task does not have).
    """
    values = raw["gold"].fillna("").astype(str).str.strip().to_numpy()[keep]
    has = values != ""
    codes, uniq = pd.factorize(values[has])
    names, unknown, _ = vocab.map(np.asarray(uniq, dtype=object))
    known = ~unknown[codes]
    gold = pd.Series(
        names[codes][known], index=pd.Index(task.to_numpy()[has][known], name="task"), dtype=str
    )
    return gold[~gold.index.duplicated()]


def canonical(answers: pd.DataFrame) -> pd.DataFrame:
    """The answer table with canonical dtypes and column order (missing optionals left out).

    ``task``, ``worker``, ``label``, ``status``: str (status lower-case, missing NaN);
    ``seconds``, ``reward``: float64; ``submitted_at``: ``datetime64[us, UTC]``.
    """
    out = pd.DataFrame(index=pd.RangeIndex(len(answers)))
    for name in ("task", "worker", "label"):
        col = answers[name]
        out[name] = col.array if col.dtype == "str" else pd.array(col.astype(str), dtype="str")
    for name in ("seconds", "reward"):
        if name in answers.columns:
            out[name] = pd.to_numeric(answers[name]).to_numpy(dtype=float)
    if "status" in answers.columns:
        codes, uniq = pd.factorize(answers["status"], use_na_sentinel=False)
        norm = [None if pd.isna(u) or not str(u).strip() else str(u).strip().lower() for u in uniq]
        out["status"] = pd.array(np.asarray(norm, dtype=object)[codes], dtype="str")
    if "submitted_at" in answers.columns:
        t = pd.to_datetime(answers["submitted_at"], utc=True).dt.as_unit("us")
        out["submitted_at"] = t.array
    return out
