"""Parity with crowd-kit 1.4.2, the reference implementation (skipped when it isn't installed).

crowd-kit is a dev/test extra only: ``pip install crowd-kit==1.4.2``. Its pandas code emits
pandas deprecation warnings, which are silenced around its calls only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from toy_crowd import synthetic_crowd

from crowdsign.crowd.aggregate import GLAD, DawidSkene, MajorityVote, OneCoinDawidSkene, Wawa

ck = pytest.importorskip(
    "crowdkit.aggregation",
    reason="crowd-kit not installed (parity extra: pip install crowd-kit==1.4.2)",
)

SHARES = {"reliable": 0.45, "average": 0.25, "weak": 0.15, "spammer": 0.1, "constant": 0.05}


def quiet(fn: Callable[[], Any]) -> Any:
    """Run crowd-kit code with its (pandas) warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def answers(n_tasks: int, n_classes: int, per_task: int, seed: int) -> pd.DataFrame:
    return synthetic_crowd(
        n_tasks, 30, n_classes, per_task=per_task, shares=SHARES, seed=seed
    ).answers()


def agreement(ours: pd.Series, theirs: pd.Series) -> float:
    return float((ours.sort_index().to_numpy() == theirs.sort_index().to_numpy()).mean())


def aligned(ours: pd.DataFrame, theirs: pd.DataFrame) -> np.ndarray:
    return theirs.reindex(index=ours.index, columns=ours.columns).to_numpy(dtype=float)


def test_majority_vote_matches():
    df = answers(1000, 2, 5, seed=1)  # binary, odd overlap: no ties
    ours = MajorityVote().fit(df)
    theirs = quiet(lambda: ck.MajorityVote().fit(df))
    assert agreement(ours.labels_, theirs.labels_) == 1.0
    np.testing.assert_allclose(ours.probas_, aligned(ours.probas_, theirs.probas_), atol=1e-6)
    np.testing.assert_allclose(ours.skills_, theirs.skills_.reindex(ours.skills_.index), 1e-6)


def test_majority_vote_matches_on_every_untied_task():
    df = answers(1000, 4, 4, seed=2)
    ours = MajorityVote().fit(df)
    theirs = quiet(lambda: ck.MajorityVote().fit(df))
    p = ours.probas_
    tied = (p.to_numpy() == p.to_numpy().max(1, keepdims=True)).sum(1) > 1
    same = ours.labels_.to_numpy() == theirs.labels_.reindex(p.index).to_numpy()
    assert same[~tied].all() and tied.any()


def test_wawa_matches():
    # crowd-kit 1.4.2's Wawa fails under scikit-learn >= 1.6 (no __sklearn_tags__); its fit is
    # a majority vote weighted by the workers' accuracy against the majority vote, as here
    df = answers(1000, 2, 5, seed=3)
    ours = Wawa().fit(df)
    skills = quiet(lambda: ck.MajorityVote().fit(df).skills_)
    theirs = quiet(lambda: ck.MajorityVote().fit(df, skills=skills))
    assert agreement(ours.labels_, theirs.labels_) >= 0.995
    np.testing.assert_allclose(ours.probas_, aligned(ours.probas_, theirs.probas_), atol=1e-5)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_dawid_skene_matches(n_classes):
    df = answers(600, n_classes, 4, seed=4)
    ours = DawidSkene().fit(df)
    theirs = quiet(lambda: ck.DawidSkene(n_iter=100).fit(df))
    assert agreement(ours.labels_, theirs.labels_) >= 0.995
    diff = np.abs(ours.probas_.to_numpy() - aligned(ours.probas_, theirs.probas_))
    assert diff.mean() < 5e-3
    err = theirs.errors_.reindex(index=ours.errors_.index, columns=ours.errors_.columns)
    observed = err.notna().all(axis=1).to_numpy()  # crowd-kit keeps answered pairs only
    np.testing.assert_allclose(
        ours.errors_.to_numpy()[observed], err.to_numpy()[observed], atol=2e-2
    )


@pytest.mark.parametrize("n_classes", [2, 4])
def test_one_coin_dawid_skene_matches(n_classes):
    df = answers(600, n_classes, 4, seed=5)
    ours = OneCoinDawidSkene().fit(df)
    theirs = quiet(lambda: ck.OneCoinDawidSkene(n_iter=100).fit(df))
    assert agreement(ours.labels_, theirs.labels_) >= 0.995
    np.testing.assert_allclose(ours.skills_, theirs.skills_.reindex(ours.skills_.index), atol=2e-2)


@pytest.mark.slow  # crowd-kit's GLAD takes several seconds even on a few thousand answers
@pytest.mark.parametrize("n_classes", [2, 4])
def test_glad_matches(n_classes):
    df = answers(600, n_classes, 4, seed=6)
    ours = GLAD().fit(df)
    theirs = quiet(lambda: ck.GLAD().fit(df))
    assert agreement(ours.labels_, theirs.labels_) >= 0.995
    alphas = theirs.alphas_.reindex(ours.alphas_.index)
    assert np.corrcoef(ours.alphas_, alphas)[0, 1] > 0.99
    diff = np.abs(ours.probas_.to_numpy() - aligned(ours.probas_, theirs.probas_))
    assert diff.mean() < 1e-2
