"""Parity with crowd-kit 1.4.2 from vendored reference numbers: runs in CI without crowd-kit.

``tests/reference/crowdkit_1.4.2.json`` holds crowd-kit's outputs on answers crowdsign draws
(:mod:`tests.reference.make_crowdkit_reference` regenerates it); each case also stores a
checksum of its answers, so a change of the answer generator fails here by name rather than
as a parity failure. ``test_aggregate_parity.py`` runs crowd-kit itself where it is installed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.aggregate import GLAD, DawidSkene, MajorityVote, OneCoinDawidSkene, Wawa

HERE = Path(__file__).parent / "reference"
sys.path.insert(0, str(HERE))
import make_crowdkit_reference as ref  # noqa: E402

sys.path.remove(str(HERE))
REFERENCE = json.loads((HERE / "crowdkit_1.4.2.json").read_text())["cases"]
OURS = {"mv": MajorityVote, "wawa": Wawa, "ds": DawidSkene, "ocds": OneCoinDawidSkene, "glad": GLAD}


def fitted(name: str):
    df = ref.answers(name)
    case = REFERENCE[name]
    assert ref.checksum(df) == case["answers_sha256"], (
        f"the answers of case {name} changed: regenerate tests/reference/crowdkit_1.4.2.json"
    )
    model = OURS[ref.CASES[name][-1]]().fit(df)
    probas = model.probas_.reindex(index=case["tasks"], columns=case["classes"]).to_numpy()
    labels = model.labels_.reindex(case["tasks"]).to_numpy()
    return model, case, probas, labels


def series(node: dict) -> pd.Series:
    return pd.Series(node["values"], index=node["workers"])


@pytest.mark.parametrize("name", ["mv", "wawa"])
def test_votes_match(name):
    model, case, probas, labels = fitted(name)
    assert (labels == np.asarray(case["labels"])).mean() >= (1.0 if name == "mv" else 0.995)
    np.testing.assert_allclose(probas, case["probas"], atol=1e-5)
    skills = series(case["skills"]).reindex(model.skills_.index)
    np.testing.assert_allclose(model.skills_, skills, atol=1e-5)


def test_majority_vote_matches_on_every_untied_task():
    _, case, probas, labels = fitted("mv_ties")
    tied = (probas == probas.max(1, keepdims=True)).sum(1) > 1
    assert tied.any() and (labels == np.asarray(case["labels"]))[~tied].all()


@pytest.mark.parametrize("name", ["ds2", "ds4"])
def test_dawid_skene_matches(name):
    model, case, probas, labels = fitted(name)
    assert (labels == np.asarray(case["labels"])).mean() >= 0.995
    assert np.abs(probas - np.asarray(case["probas"])).mean() < 5e-3
    e = case["errors"]
    theirs = pd.DataFrame(
        e["values"], index=pd.MultiIndex.from_tuples(map(tuple, e["index"])), columns=e["columns"]
    ).astype(float)
    ours = model.errors_
    theirs = theirs.reindex(index=ours.index, columns=ours.columns)
    observed = theirs.notna().all(axis=1).to_numpy()  # crowd-kit keeps answered pairs only
    np.testing.assert_allclose(ours.to_numpy()[observed], theirs.to_numpy()[observed], atol=2e-2)


@pytest.mark.parametrize("name", ["ocds2", "ocds4"])
def test_one_coin_dawid_skene_matches(name):
    model, case, _, labels = fitted(name)
    assert (labels == np.asarray(case["labels"])).mean() >= 0.995
    skills = series(case["skills"]).reindex(model.skills_.index)
    np.testing.assert_allclose(model.skills_, skills, atol=2e-2)


@pytest.mark.parametrize("name", ["glad2", "glad4"])
def test_glad_matches(name):
    model, case, probas, labels = fitted(name)
    assert (labels == np.asarray(case["labels"])).mean() >= 0.995
    alphas = series(case["alphas"]).reindex(model.alphas_.index)
    assert np.corrcoef(model.alphas_, alphas)[0, 1] > 0.99
    assert np.abs(probas - np.asarray(case["probas"])).mean() < 1e-2
