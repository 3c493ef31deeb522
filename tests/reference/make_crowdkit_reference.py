"""Reference numbers from crowd-kit 1.4.2 for the aggregation parity tests, vendored so the
parity tests run in CI without crowd-kit (it pulls transformers and nltk: ~780 MB, >2 min).

Regenerate (two environments: crowdsign's, and one with only crowd-kit):

    python tests/reference/make_crowdkit_reference.py answers /tmp/ck                  # crowdsign's venv
    pip install crowd-kit==1.4.2  # in a separate venv, then with it:
    python tests/reference/make_crowdkit_reference.py reference /tmp/ck tests/reference/crowdkit_1.4.2.json

The ``reference`` step imports only pandas and crowd-kit.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from pathlib import Path

SHARES = {"reliable": 0.45, "average": 0.25, "weak": 0.15, "spammer": 0.1, "constant": 0.05}
# name: (n_tasks, n_classes, answers per task, seed, crowd-kit method)
CASES = {
    "mv": (1000, 2, 5, 1, "mv"),
    "mv_ties": (1000, 4, 4, 2, "mv"),
    "wawa": (1000, 2, 5, 3, "wawa"),
    "ds2": (600, 2, 4, 4, "ds"),
    "ds4": (600, 4, 4, 4, "ds"),
    "ocds2": (600, 2, 4, 5, "ocds"),
    "ocds4": (600, 4, 4, 5, "ocds"),
    "glad2": (600, 2, 4, 6, "glad"),
    "glad4": (600, 4, 4, 6, "glad"),
}


def answers(name: str):
    """The case's answers (``task, worker, label`` ints), drawn by the tests' toy crowd."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: toy_crowd
    from toy_crowd import synthetic_crowd

    n_tasks, n_classes, per_task, seed, _ = CASES[name]
    crowd = synthetic_crowd(n_tasks, 30, n_classes, per_task=per_task, shares=SHARES, seed=seed)
    return crowd.answers()


def checksum(df) -> str:
    return hashlib.sha256(df[["task", "worker", "label"]].to_csv(index=False).encode()).hexdigest()


def _fit(method: str, df):
    import crowdkit.aggregation as ck

    if method == "mv":
        return ck.MajorityVote().fit(df)
    if method == "wawa":  # crowd-kit's Wawa fails under scikit-learn >= 1.6; it is this:
        skills = ck.MajorityVote().fit(df).skills_
        return ck.MajorityVote().fit(df, skills=skills)
    if method == "ds":
        return ck.DawidSkene(n_iter=100).fit(df)
    if method == "ocds":
        return ck.OneCoinDawidSkene(n_iter=100).fit(df)
    return ck.GLAD().fit(df)


def _round(values) -> list:
    return [[float(f"{v:.7g}") for v in row] for row in values]


def reference(folder: Path) -> dict:
    import pandas as pd

    out = {"crowd-kit": "1.4.2", "cases": {}}
    for name, (*_, method) in CASES.items():
        df = pd.read_csv(folder / f"{name}.csv")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = _fit(method, df)
        probas = fit.probas_.sort_index().sort_index(axis=1)
        case = {
            "answers_sha256": checksum(df),
            "tasks": probas.index.tolist(),
            "classes": probas.columns.tolist(),
            "labels": fit.labels_.reindex(probas.index).tolist(),
            "probas": _round(probas.to_numpy()),
        }
        if method in ("mv", "wawa", "ocds"):
            skills = fit.skills_.sort_index()
            case["skills"] = {"workers": skills.index.tolist(), "values": skills.round(7).tolist()}
        if method == "ds":  # (worker, label) rows × true-class columns; NaN where unanswered
            err = fit.errors_.sort_index().sort_index(axis=1)
            case["errors"] = {
                "index": [list(map(int, i)) for i in err.index],
                "columns": err.columns.tolist(),
                "values": [
                    [None if v != v else float(f"{v:.7g}") for v in r] for r in err.to_numpy()
                ],
            }
        if method == "glad":
            alphas = fit.alphas_.sort_index()
            case["alphas"] = {"workers": alphas.index.tolist(), "values": alphas.round(7).tolist()}
        out["cases"][name] = case
    return out


if __name__ == "__main__":
    mode, folder = sys.argv[1], Path(sys.argv[2])
    if mode == "answers":
        folder.mkdir(parents=True, exist_ok=True)
        for name in CASES:
            answers(name).to_csv(folder / f"{name}.csv", index=False)
    else:
        Path(sys.argv[3]).write_text(json.dumps(reference(folder), separators=(",", ":")))
