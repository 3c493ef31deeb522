"""Label aggregators: API, awkward inputs, gold, quality on seeded synthetic crowds, configs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from hydra.utils import instantiate
from toy_crowd import synthetic_crowd

from crowdsign.crowd.aggregate import (
    GLAD,
    Aggregator,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    Wawa,
)
from crowdsign.crowd.aggregate._sparse import Incidence
from crowdsign.crowd.answers import CodedAnswers, encode

METHODS = [MajorityVote, Wawa, DawidSkene, OneCoinDawidSkene, GLAD]
EM_METHODS = [DawidSkene, OneCoinDawidSkene, GLAD]


def accuracy(model: Aggregator, truth: torch.Tensor) -> float:
    return float((model.hard_labels().cpu() == truth).float().mean())


def assert_valid(model: Aggregator, codes: CodedAnswers) -> None:
    """Posteriors are finite distributions, skills finite in [0, 1], LOO finite."""
    p = model.posteriors_
    assert p.dtype == torch.float32
    assert p.shape == (codes.n_tasks, codes.n_classes)
    assert torch.isfinite(p).all() and (p >= 0).all()
    torch.testing.assert_close(p.sum(1), torch.ones(codes.n_tasks), atol=1e-5, rtol=0)
    s = model.worker_skills_
    assert s is not None and s.shape == (codes.n_workers,)
    assert torch.isfinite(s).all() and (s >= 0).all() and (s <= 1).all()
    loo = model.loo_posteriors()
    assert loo.shape == (codes.n_answers, codes.n_classes) and torch.isfinite(loo).all()
    assert model.hard_labels().shape == (codes.n_tasks,)


# --- API ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_crowdkit_style_api_with_string_ids(method):
    answers = pd.DataFrame(
        {
            "task": ["img1", "img1", "img1", "img2", "img2", "img2", "img3", "img3"],
            "worker": ["ann", "bob", "cid", "ann", "bob", "cid", "ann", "bob"],
            "label": ["stop", "stop", "other", "other", "other", "other", "stop", "stop"],
        }
    )
    model = method()
    labels = model.fit_predict(answers)
    assert isinstance(labels, pd.Series)
    assert list(labels.index) == ["img1", "img2", "img3"] and labels.index.name == "task"
    assert list(labels) == ["stop", "other", "stop"]
    proba = model.fit_predict_proba(answers)
    assert list(proba.columns) == ["other", "stop"] and proba.index.name == "task"
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert list(model.skills_.index) == ["ann", "bob", "cid"]
    assert model.fit(answers) is model


@pytest.mark.parametrize("method", EM_METHODS)
def test_em_records_history_and_stops_at_tolerance(method):
    sim = synthetic_crowd(300, 20, 3, per_task=5, seed=1)
    model = method(n_iter=50, tol=1e-5).fit_codes(sim.codes)
    assert len(model.loss_history_) == model.n_iter_ < 50
    # EM never makes the (penalised) likelihood worse, beyond float32 rounding
    assert np.all(np.diff(model.loss_history_) < 1e-4)
    capped = method(n_iter=2, tol=0.0).fit_codes(sim.codes)
    assert capped.n_iter_ == 2 and len(capped.loss_history_) == 2


def test_dawid_skene_fitted_attributes():
    sim = synthetic_crowd(400, 15, 3, per_task=5, seed=2)
    ds = DawidSkene().fit_codes(sim.codes)
    conf = ds.confusions_
    assert conf.shape == (15, 3, 3)
    torch.testing.assert_close(conf.sum(2), torch.ones(15, 3))  # P(answer | truth) rows
    assert ds.errors_.shape == (15 * 3, 3)
    assert ds.errors_.index.names == ["worker", "label"]
    np.testing.assert_allclose(ds.priors_.sum(), 1.0, rtol=1e-6)
    # a spammer's confusion rows are alike; a reliable worker's diagonal dominates
    types = sim.workers["type"].to_numpy()
    diag = conf.diagonal(dim1=1, dim2=2).mean(1).numpy()
    assert diag[types == "reliable"].min() > diag[types == "spammer"].max()


def test_smoothing_tempers_a_worker_with_few_answers():
    rows = [(t, w, t % 2) for t in range(30) for w in ("a", "b", "c")] + [(0, "new", 0)]
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    plain = DawidSkene().fit(answers).errors_.loc["new"]
    smooth = DawidSkene(smoothing=1.0).fit(answers).errors_.loc["new"]
    assert plain.loc[1, 0] < 1e-6  # maximum likelihood: "new" never errs on class 0
    assert 0.2 < smooth.loc[1, 0] < 0.5  # one right answer + a pseudo-count per cell
    assert (smooth.to_numpy() > 0.2).all()  # and class 1, never seen, stays uninformative


@pytest.mark.parametrize("method", [DawidSkene, OneCoinDawidSkene])
def test_accuracy_prior_keeps_sparse_workers_informative(method):
    """One answer per task, ~2 per worker: nothing tells workers apart, so the labels should be
    the answers. Plain EM drifts to "no worker is informative" and labels every task with the
    majority class; the accuracy prior keeps each worker's answer worth something."""
    sim = synthetic_crowd(120, 60, 2, per_task=1, class_prior=[0.6, 0.4], seed=3)
    votes = MajorityVote().fit_codes(sim.codes).hard_labels()
    prior = method(accuracy_prior=1.0).fit_codes(sim.codes)
    assert torch.equal(prior.hard_labels(), votes)
    assert_valid(prior, sim.codes)
    if method is DawidSkene:  # the failure the prior fixes
        plain = DawidSkene().fit_codes(sim.codes).hard_labels()
        assert (plain != votes).float().mean() > 0.1


def test_accuracy_prior_keeps_dawid_skene_ahead_of_the_vote_with_spammers():
    shares = {"reliable": 0.4, "average": 0.2, "spammer": 0.4}
    sim = synthetic_crowd(600, 40, 2, per_task=3, shares=shares, seed=4)
    vote = accuracy(MajorityVote().fit_codes(sim.codes), sim.truth)
    for a in (0.0, 1.0):
        ds = DawidSkene(accuracy_prior=a, n_iter=200).fit_codes(sim.codes)
        assert accuracy(ds, sim.truth) > vote + 0.02
        assert np.all(np.diff(ds.loss_history_) < 1e-4)  # MAP EM: the objective never rises


def test_majority_vote_ties_are_seeded():
    # 200 tasks, each one vote "a" and one vote "b": every task is a tie
    answers = pd.DataFrame(
        {
            "task": np.repeat(np.arange(200), 2),
            "worker": np.tile(["x", "y"], 200),
            "label": np.tile(["a", "b"], 200),
        }
    )
    first = MajorityVote(seed=1).fit_predict(answers)
    assert first.equals(MajorityVote(seed=1).fit_predict(answers))
    assert not first.equals(MajorityVote(seed=2).fit_predict(answers))
    assert 60 < (first == "a").sum() < 140


def test_wawa_weights_votes_by_agreement_with_majority():
    # w1..w3 agree on every task; "odd" disagrees with them; the 1-vs-1 task "t4" is a coin
    # flip for majority vote, but Wawa trusts w1 (skill >= 3/4) over odd (skill <= 1/4)
    rows = [(t, w, 0) for t in ("t1", "t2", "t3") for w in ("w1", "w2", "w3")]
    rows += [(t, "odd", 1) for t in ("t1", "t2", "t3")] + [("t4", "w1", 0), ("t4", "odd", 1)]
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    wawa = Wawa().fit(answers)
    assert wawa.skills_["odd"] <= 0.25 and wawa.skills_["w1"] >= 0.75
    assert wawa.labels_["t4"] == 0
    assert wawa.probas_.loc["t4", 0] >= 0.75


# --- awkward inputs ----------------------------------------------------------------------------
AWKWARD = {
    # worker "solo" answers once; task "t9" has one answer
    "single answers": (
        [("t1", "a", 0), ("t1", "b", 0), ("t1", "c", 1), ("t2", "a", 1), ("t2", "b", 1)]
        + [("t2", "solo", 0), ("t9", "c", 1)]
    ),
    "unanimous": [(f"t{i}", w, 1) for i in range(4) for w in ("a", "b", "c")],
    "constant worker": [(f"t{i}", "a", i % 2) for i in range(6)]
    + [(f"t{i}", "b", i % 2) for i in range(6)]
    + [(f"t{i}", "const", 0) for i in range(6)],
    "one answer in all": [("t1", "a", 1)],
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", list(AWKWARD))
def test_awkward_inputs_give_no_nan(method, case):
    answers = pd.DataFrame(AWKWARD[case], columns=["task", "worker", "label"])
    # class 2 nobody chose, and a task nobody answered
    tasks = np.array(sorted(set(answers["task"])) + ["unanswered"], dtype=object)
    codes = encode(answers, tasks=tasks, labels=np.arange(3))
    model = method().fit_codes(codes)
    assert_valid(model, codes)
    p = model.posteriors_[:-1]  # answered tasks: the unchosen class is never the favourite
    assert (p[:, 2] <= p[:, :2].max(1).values + 1e-6).all()


@pytest.mark.parametrize("method", METHODS)
def test_single_class_and_unanimous_data(method):
    answers = pd.DataFrame({"task": [1, 1, 2], "worker": ["a", "b", "a"], "label": ["s"] * 3})
    model = method().fit(answers)
    assert list(model.labels_) == ["s", "s"]
    assert model.probas_.to_numpy().tolist() == [[1.0], [1.0]]
    assert np.isfinite(model.skills_).all()


@pytest.mark.parametrize("method", METHODS)
def test_unanimous_answers_are_certain(method):
    answers = pd.DataFrame(AWKWARD["unanimous"], columns=["task", "worker", "label"])
    codes = encode(answers, labels=np.arange(2))
    model = method().fit_codes(codes)
    assert (model.hard_labels() == 1).all()
    assert model.posteriors_[:, 1].min() > 0.9


# --- gold --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
def test_gold_tasks_keep_their_truth(method):
    sim = synthetic_crowd(200, 10, 3, per_task=3, seed=5)
    gold = torch.full((200,), -1)
    gold[:20] = (sim.truth[:20] + 1) % 3  # deliberately "wrong" gold: it must still win
    model = method().fit_codes(sim.codes, gold=gold)
    assert torch.equal(model.hard_labels()[:20], gold[:20])
    torch.testing.assert_close(model.posteriors_[:20].max(1).values, torch.ones(20))


def test_gold_via_dataframe_api_accepts_unseen_label():
    answers = pd.DataFrame({"task": [1, 1, 2, 2], "worker": list("abab"), "label": list("xxxy")})
    gold = pd.Series({2: "z", 99: "x"})  # "z" nobody answered; task 99 has no answers
    ds = DawidSkene().fit(answers, true_labels=gold)
    assert list(ds.probas_.columns) == ["x", "y", "z"]
    assert ds.labels_[2] == "z"


@pytest.mark.parametrize("method", EM_METHODS)
def test_gold_anchors_skills_when_the_majority_is_adversarial(method):
    # 70% of workers swap the two labels: majority vote (and EM started from it) is wrong,
    # a few gold tasks tell the models which way round the workers are
    shares = {"adversarial": 0.7, "reliable": 0.3}
    sim = synthetic_crowd(600, 30, 2, per_task=5, shares=shares, seed=11)
    assert accuracy(MajorityVote().fit_codes(sim.codes), sim.truth) < 0.5
    assert accuracy(method().fit_codes(sim.codes), sim.truth) < 0.5
    gold = torch.full((600,), -1)
    gold[:30] = sim.truth[:30]
    anchored = method().fit_codes(sim.codes, gold=gold)
    assert accuracy(anchored, sim.truth) > 0.9


# --- quality on seeded synthetic crowds ---------------------------------------------------------
@pytest.mark.parametrize("method", EM_METHODS + [Wawa])
def test_beats_majority_vote_on_a_pool_with_spammers(method):
    shares = {"reliable": 0.35, "weak": 0.15, "spammer": 0.4, "constant": 0.1}
    sim = synthetic_crowd(1500, 40, 3, per_task=5, shares=shares, seed=3)
    mv = accuracy(MajorityVote().fit_codes(sim.codes), sim.truth)
    better = accuracy(method().fit_codes(sim.codes), sim.truth)
    assert better > mv + (0.05 if method is not Wawa else 0.01)


@pytest.mark.parametrize("method", EM_METHODS)
def test_recovered_worker_accuracy_ranks_like_the_simulated(method):
    shares = {"reliable": 0.4, "average": 0.25, "weak": 0.15, "spammer": 0.1, "constant": 0.1}
    sim = synthetic_crowd(1000, 40, 3, per_task=4, shares=shares, seed=7)  # 100 answers/worker
    model = method().fit_codes(sim.codes)
    rho = model.skills_.corr(sim.workers["accuracy"], method="spearman")
    assert rho >= 0.9


def test_soft_targets_are_sharper_where_workers_agree():
    sim = synthetic_crowd(500, 20, 2, per_task=5, seed=8)
    ds = DawidSkene().fit_codes(sim.codes)
    votes = torch.zeros(500, 2).index_add_(
        0, sim.codes.task, torch.nn.functional.one_hot(sim.codes.label, 2).float()
    )
    unanimous = votes.max(1).values == 5
    top = ds.posteriors_.max(1).values
    assert top[unanimous].mean() > top[~unanimous].mean()


def test_loo_posterior_removes_the_answer():
    answers = pd.DataFrame({"task": [1, 1, 1], "worker": list("abc"), "label": [0, 0, 1]})
    mv = MajorityVote().fit(answers)
    loo = mv.loo_posteriors().numpy()
    np.testing.assert_allclose(loo, [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])
    sim = synthetic_crowd(200, 10, 2, per_task=3, seed=4)
    ds = DawidSkene().fit_codes(sim.codes)
    # log-linear model: adding back the answer's own log-likelihood gives the full posterior
    own = ds._log_err[sim.codes.worker * 2 + sim.codes.label]
    back = torch.softmax(ds.loo_posteriors().log() + own, dim=1)
    full = torch.softmax(ds._log_joint, dim=1)[sim.codes.task]
    torch.testing.assert_close(back, full, atol=1e-4, rtol=0)


def test_sparse_products_sum_unsorted_and_repeated_answers():
    g = torch.Generator().manual_seed(0)
    n, t, w, k = 500, 40, 7, 3
    codes = CodedAnswers(
        task=torch.randint(0, t, (n,), generator=g),
        worker=torch.randint(0, w, (n,), generator=g),  # repeats (task, worker, label) too
        label=torch.randint(0, k, (n,), generator=g),
        task_ids=np.arange(t),
        worker_ids=np.arange(w),
        label_ids=np.arange(k),
    )
    dense = torch.zeros(t, w * k).index_put_(
        (codes.task, codes.worker * k + codes.label), torch.ones(n), accumulate=True
    )
    inc = Incidence.of(codes)
    x, y = torch.rand(w * k, k, generator=g), torch.rand(t, k, generator=g)
    torch.testing.assert_close(inc.task_sums(x), dense @ x)
    torch.testing.assert_close(inc.pair_sums(y), dense.T @ y)


# --- devices -----------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("method", METHODS)
def test_cuda_matches_cpu(method):
    sim = synthetic_crowd(2000, 50, 4, per_task=5, seed=9)
    cpu = method().fit_codes(sim.codes)
    gpu = method(device="cuda").fit_codes(sim.codes)
    assert gpu.posteriors_.is_cuda
    torch.testing.assert_close(gpu.posteriors_.cpu(), cpu.posteriors_, atol=1e-3, rtol=0)
    agree = (gpu.hard_labels().cpu() == cpu.hard_labels()).float().mean()
    assert agree >= 0.999


# --- configs -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("mv", MajorityVote),
        ("wawa", Wawa),
        ("ds", DawidSkene),
        ("ods", OneCoinDawidSkene),
        ("glad", GLAD),
    ],
)
def test_aggregate_configs_instantiate(make_cfg, name, cls):
    cfg = make_cfg("train", [f"aggregate={name}", "robust.target=soft", "seed=3"])
    est = instantiate(cfg.aggregate.estimator)
    assert type(est) is cls and est.seed == 3
    assert cfg.robust.target == "soft"
    sim = synthetic_crowd(50, 5, 2, per_task=3, seed=0)
    assert_valid(est.fit_codes(sim.codes), sim.codes)
