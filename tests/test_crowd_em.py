"""Deep EM with the classifier in the loop, warm-up on aggregated targets, resumable state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from test_crowd_learning import C, fit, planted_pool

from crowdsign.runtime.checkpoint import load_checkpoint
from crowdsign.training.crowd_em import CrowdEMLoss
from crowdsign.training.crowd_losses import (
    CrowdLayerLoss,
    SparseAnswers,
    TraceRegLoss,
    expected_confusions,
)


def vote_shares(answers, n: int) -> torch.Tensor:
    rows = torch.repeat_interleave(torch.arange(n), answers.indptr.diff())
    votes = torch.zeros(n, C).index_put_((rows, answers.label), torch.ones(len(rows)), True)
    return votes / votes.sum(1, keepdim=True)


def test_expected_confusions_recover_a_flipped_worker_from_true_posteriors():
    truth, answers = planted_pool(300, seed=4, flip_worker=1)
    conf = expected_confusions(answers, torch.eye(C)[truth], n_workers=3)
    assert torch.allclose(conf.sum(2), torch.ones(3, C))
    assert (conf[1].argmax(1) == (torch.arange(C) + 1) % C).all()
    assert (conf[0].diagonal() > 0.8).all()


def test_crowd_em_learns_a_flipped_worker_as_flipped_and_recovers_truth():
    truth, answers = planted_pool(300, seed=2, flip_worker=1)
    initial = vote_shares(answers, 300)  # the vote trusts the flipped worker like the others
    loss = CrowdEMLoss(answers, n_workers=3, n_classes=C, prior_weight=1.0, initial=initial)
    logits = fit(loss, 300)
    conf = loss.confusions()
    assert (conf[1].argmax(1) == (torch.arange(C) + 1) % C).all()
    assert (conf[0].argmax(1) == torch.arange(C)).all()
    assert (logits.argmax(1).numpy() == truth).mean() > 0.9
    assert (loss.posterior.argmax(1).numpy() == truth).mean() > 0.9


def test_crowd_em_without_prior_or_updates_trains_on_the_initial_posteriors():
    truth, answers = planted_pool(40, seed=5)
    initial = vote_shares(answers, 40)
    loss = CrowdEMLoss(answers, 3, C, prior_weight=0.0, update_confusions=False, initial=initial)
    logits = torch.randn(40, C, generator=torch.Generator().manual_seed(0))
    value = loss(logits, torch.arange(40))
    # beta = 0: the posterior is the answers' likelihood under the initial confusions alone
    lik = torch.zeros(40, C).index_add_(
        0,
        torch.repeat_interleave(torch.arange(40), answers.indptr.diff()),
        expected_confusions(answers, initial, 3).log()[answers.worker, :, answers.label],
    )
    expected = -(lik.softmax(1) * logits.log_softmax(1)).sum(1).mean()
    assert torch.allclose(value, expected, atol=1e-5)


@pytest.mark.parametrize("cls", [CrowdLayerLoss, TraceRegLoss, CrowdEMLoss])
def test_warm_up_trains_on_the_initial_targets_then_on_the_answers(cls):
    truth, answers = planted_pool(10, seed=6)
    initial = torch.softmax(torch.randn(10, C, generator=torch.Generator().manual_seed(1)), 1)
    loss = cls(answers, 3, C, initial=initial, warmup_fraction=0.5, epochs=2)  # 10 images
    logits = torch.randn(10, C, generator=torch.Generator().manual_seed(2))
    soft_ce = -(initial * logits.log_softmax(1)).sum(1).mean()
    assert torch.allclose(loss(logits, torch.arange(10)), soft_ce)  # images 0..9 seen
    assert loss.warming_up() is False  # 10 = 0.5 * 2 epochs * 10 images
    assert not torch.allclose(loss(logits, torch.arange(10)), soft_ce)
    loss.eval()
    seen = int(loss.seen)
    loss(logits, torch.arange(10))
    assert int(loss.seen) == seen  # evaluation does not advance the warm-up


def test_trace_reg_starts_from_the_confusions_the_targets_imply():
    truth, answers = planted_pool(200, seed=7, flip_worker=2)
    initial = torch.eye(C)[truth]
    loss = TraceRegLoss(answers, 3, C, initial=initial, init_from_targets=True)
    assert torch.allclose(loss.confusions(), expected_confusions(answers, initial, 3), atol=1e-6)
    assert (loss.confusions()[2].argmax(1) == (torch.arange(C) + 1) % C).all()


def test_warm_up_needs_the_initial_targets():
    _, answers = planted_pool(10, seed=8)
    with pytest.raises(ValueError, match="initial"):
        CrowdLayerLoss(answers, 3, C, warmup_fraction=0.2, epochs=3)


def test_crowd_em_checkpoints_its_state_and_resumes(make_cfg):
    import pandas as pd

    from crowdsign.pipeline import train

    cfg = make_cfg(
        "train", ["debug=smoke", "robust=crowd_em", "robust.crowd_loss.warmup_fraction=0.5"]
    )
    train(cfg)
    run = Path(cfg.paths.output_dir)
    state = load_checkpoint(run / "checkpoints" / "last.pt")["crowd_loss"]
    assert int(state["seen"]) > 0 and state["log_conf"].ndim == 3
    learned = pd.read_csv(run / "crowd" / "learned_workers.csv")
    (run / "crowd" / "learned_workers.csv").unlink()
    # resuming the finished run trains no epoch: the workers it reports are the saved ones,
    # not a fresh Dawid–Skene start
    train(
        make_cfg(
            "train",
            [
                "debug=smoke",
                "robust=crowd_em",
                "robust.crowd_loss.warmup_fraction=0.5",
                "resume=true",
            ],
        )
    )
    again = pd.read_csv(run / "crowd" / "learned_workers.csv")
    pd.testing.assert_frame_equal(learned, again)


def test_log_pool_consensus_is_sharper_where_sources_agree():
    import numpy as np
    import pandas as pd

    from crowdsign.crowd.answers import encode
    from crowdsign.training.consensus import crowdlab_consensus

    rng = np.random.default_rng(9)
    truth = rng.integers(0, C, 150)
    rows = [
        (f"t{i}", w, str(y if rng.random() < 0.8 else rng.integers(0, C)))
        for i, y in enumerate(truth)
        for w in ("a", "b", "c")
    ]
    codes = encode(
        pd.DataFrame(rows, columns=["task", "worker", "label"]),
        tasks=np.array([f"t{i}" for i in range(150)]),
        labels=np.array([str(c) for c in range(C)], dtype=object),
    )
    votes = np.zeros((150, C))
    np.add.at(votes, (codes.task.numpy(), codes.label.numpy()), 1)
    model = np.full((150, C), 0.15)
    model[np.arange(150), truth] = 0.7
    linear = crowdlab_consensus(codes, votes.argmax(1), model)
    log = crowdlab_consensus(codes, votes.argmax(1), model, log_pool=True)
    assert np.allclose(log.posterior.sum(1), 1.0, atol=1e-5)
    unanimous = votes.max(1) == 3
    assert (log.quality[unanimous] > linear.quality[unanimous]).all()
    assert (log.label == truth).mean() >= (linear.label == truth).mean()


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_prior_weight_is_the_exponent_of_the_classifiers_belief(beta):
    truth, answers = planted_pool(30, seed=8)
    initial = vote_shares(answers, 30)
    loss = CrowdEMLoss(answers, 3, C, prior_weight=beta, momentum=0.0, initial=initial)
    logits = torch.randn(30, C, generator=torch.Generator().manual_seed(3))
    loss(logits, torch.arange(30))  # momentum 0: the belief is this visit's prediction
    lik = torch.zeros(30, C).index_add_(
        0,
        torch.repeat_interleave(torch.arange(30), answers.indptr.diff()),
        expected_confusions(answers, initial, 3).log()[answers.worker, :, answers.label],
    )
    expected = (beta * logits.softmax(1).log() + lik).softmax(1)
    assert torch.allclose(loss.posterior, expected, atol=1e-5)


def test_a_negative_prior_weight_is_refused():
    truth, answers = planted_pool(5, seed=9)
    with pytest.raises(ValueError, match="prior_weight"):
        CrowdEMLoss(answers, 3, C, prior_weight=-1.0, initial=vote_shares(answers, 5))


def under_reported_pool(n: int, seed: int):
    """Balanced truth; every worker answers class 1 for half of the class-0 images (a bias of
    the whole crowd, which no per-worker confusion can find from the answers alone)."""
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % C
    image, worker, label = [], [], []
    for i, y in enumerate(truth):
        hidden = y == 0 and rng.random() < 0.5
        for w in range(3):
            a = 1 if hidden and rng.random() < 0.8 else (y if rng.random() < 0.9 else 2)
            image.append(i), worker.append(w), label.append(int(a))
    t = torch.as_tensor
    return truth, SparseAnswers(t(image), t(worker), t(label), n)


def test_a_class_prior_pulls_the_posterior_shares_toward_it():
    truth, answers = under_reported_pool(600, seed=3)
    initial = vote_shares(answers, 600)
    shares = {}
    for prior in (None, [1 / 3, 1 / 3, 1 / 3]):
        loss = CrowdEMLoss(answers, 3, C, prior_weight=1.0, initial=initial, class_prior=prior)
        fit(loss, 600, steps=400)
        shares[prior is None] = torch.bincount(loss.posterior.argmax(1), minlength=C) / 600
    assert shares[True][0] < 0.27  # without a prior the crowd's bias stays
    assert abs(shares[False][0] - 1 / 3) < abs(shares[True][0] - 1 / 3) - 0.03
    assert abs(float(loss.posterior.mean(0)[0]) - 1 / 3) < 0.03  # the shares reach the prior


def test_a_class_prior_leaves_a_crowd_that_matches_it_alone():
    truth, answers = planted_pool(300, seed=8)
    share = (np.bincount(truth, minlength=C) / 300).tolist()
    labels = {}
    for prior in (None, share):
        loss = CrowdEMLoss(
            answers, 3, C, prior_weight=1.0, initial=vote_shares(answers, 300), class_prior=prior
        )
        fit(loss, 300)
        labels[prior is None] = loss.posterior.argmax(1).numpy()
    assert (labels[False] == labels[True]).mean() > 0.98
    assert (labels[False] == truth).mean() > 0.95


@pytest.mark.parametrize("prior", [[0.5, 0.5], [0.5, 0.5, 0.0]])
def test_a_class_prior_needs_one_positive_share_per_class(prior):
    truth, answers = planted_pool(10, seed=1)
    with pytest.raises(ValueError, match="class_prior"):
        CrowdEMLoss(answers, 3, C, class_prior=prior)


def test_class_prior_settings_resolve_to_shares():
    from crowdsign.errors import ConfigError
    from crowdsign.training.crowd_training import class_prior

    assert class_prior(None, 3, np.array([0, 1])) is None
    assert class_prior("uniform", 4, None) == [0.25] * 4
    # the selection set's label shares, one pseudo-count per class: (2+1, 0+1, 1+1) / 6
    assert class_prior("selection", 3, np.array([0, 0, 2])) == pytest.approx([0.5, 1 / 6, 1 / 3])
    assert class_prior([1, 2, 1], 3, None) == [1.0, 2.0, 1.0]
    for bad in ("balanced", 3, [1, 2], [1, 0, 1], [1, "x", 1]):
        with pytest.raises(ConfigError, match="class_prior"):
            class_prior(bad, 3, None)
    assert class_prior("selection", 3, np.array([], dtype=np.int64)) is None  # none to count


def test_crowd_em_with_the_selection_prior_trains_end_to_end(make_cfg):
    from crowdsign.pipeline import train

    cfg = make_cfg(
        "train", ["debug=smoke", "robust=crowd_em", "robust.crowd_loss.class_prior=selection"]
    )
    train(cfg)
    state = load_checkpoint(Path(cfg.paths.output_dir) / "checkpoints" / "last.pt")["crowd_loss"]
    assert state["log_shift"].shape == (2,) and bool(state["log_shift"].abs().sum() > 0)


def test_a_bad_class_prior_stops_the_run_with_a_config_error(make_cfg):
    from crowdsign.errors import ConfigError
    from crowdsign.pipeline import train

    cfg = make_cfg(
        "train", ["debug=smoke", "robust=crowd_em", "robust.crowd_loss.class_prior=[1,2,3]"]
    )
    with pytest.raises(ConfigError, match="robust.crowd_loss.class_prior"):
        train(cfg)
    assert not (Path(cfg.paths.output_dir) / "checkpoints" / "last.pt").exists()
