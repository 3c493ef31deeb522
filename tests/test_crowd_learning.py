"""Learning from raw answers: crowd layer, trace regularisation, cross-fitted consensus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from crowdsign.crowd.answers import encode
from crowdsign.training.consensus import (
    ConsensusConfig,
    cross_fit,
    crowdlab_consensus,
    fold_ids,
)
from crowdsign.training.crowd_losses import (
    CrowdLayerLoss,
    SparseAnswers,
    TraceRegLoss,
    sparse_answers,
)

C = 3


def planted_pool(n: int, seed: int, flip_worker: int | None = None, confuse: tuple | None = None):
    """Truth for ``n`` images and k=3 answers per image from workers 0, 1, 2.

    Workers 0 and 2 are right 90% of the time; worker 1 is right too unless planted:
    ``flip_worker`` answers ``(y + 1) % C`` always, ``confuse=(a, b)`` answers b for truth a.
    """
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, C, n)
    image, worker, label = [], [], []
    for i, y in enumerate(truth):
        for w in range(3):
            a = y if rng.random() < 0.9 else rng.integers(0, C)
            if w == flip_worker:
                a = (y + 1) % C
            if confuse is not None and w == 1 and y == confuse[0]:
                a = confuse[1]
            image.append(i), worker.append(w), label.append(a)
    t = torch.as_tensor
    return truth, SparseAnswers(t(image), t(worker), t(label), n)


def fit(loss: torch.nn.Module, n: int, steps: int = 300, seed: int = 0) -> torch.Tensor:
    """Train free per-image logits (a stand-in classifier) with ``loss``; return them."""
    torch.manual_seed(seed)
    logits = torch.nn.Parameter(torch.zeros(n, C))
    opt = torch.optim.Adam([logits, *loss.parameters()], lr=0.1)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        batch = torch.randperm(n, generator=g)[:64]
        value = loss(logits[batch], batch)
        opt.zero_grad()
        value.backward()
        opt.step()
    return logits.detach()


def test_gather_returns_each_batch_images_answers():
    answers = SparseAnswers(
        torch.tensor([2, 0, 2, 1]), torch.tensor([5, 1, 7, 3]), torch.tensor([0, 1, 2, 1]), 4
    )
    row, worker, label = answers.gather(torch.tensor([2, 3, 0]))
    got = sorted(zip(row.tolist(), worker.tolist(), label.tolist(), strict=True))
    assert got == [(0, 5, 0), (0, 7, 2), (2, 1, 1)]  # image 3 has no answers


@pytest.mark.parametrize("cls", [CrowdLayerLoss, TraceRegLoss])
def test_masked_loss_counts_only_existing_answers(cls):
    answers = SparseAnswers(
        torch.tensor([0, 0, 1]), torch.tensor([0, 1, 1]), torch.tensor([2, 0, 1]), 3
    )
    loss = cls(answers, n_workers=2, n_classes=C)
    logits = torch.randn(3, C, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = -torch.stack(
            [
                loss.answer_log_probs(logits[i][None], torch.tensor([w]))[0, y]
                for i, w, y in ((0, 0, 2), (0, 1, 0), (1, 1, 1))
            ]
        ).mean() + loss.penalty(torch.tensor([0, 1, 1]))
        # image 2 has no answers: it adds nothing, whatever its logits
        with_missing = loss(logits, torch.tensor([0, 1, 2]))
        logits[2] = 100.0 * torch.tensor([1.0, -1.0, 0.0])
        assert torch.allclose(loss(logits, torch.tensor([0, 1, 2])), with_missing)
        assert torch.allclose(with_missing, expected)


def test_crowd_layer_recovers_a_planted_worker_confusion():
    truth, answers = planted_pool(300, seed=1, confuse=(0, 2))  # worker 1 says 2 for 0
    loss = CrowdLayerLoss(answers, n_workers=3, n_classes=C)
    logits = fit(loss, 300)
    conf = loss.confusions().detach()
    assert conf[1, 0].argmax() == 2 and conf[1, 0, 2] > 0.5
    assert all(
        conf[w].diagonal().argmin() >= 0 and (conf[w].argmax(1) == torch.arange(C)).all()
        for w in (0, 2)
    )
    assert (conf[1, 1:].argmax(1) == torch.arange(1, C)).all()
    assert (logits.argmax(1).numpy() == truth).mean() > 0.9


def test_trace_reg_learns_a_flipped_worker_as_flipped():
    truth, answers = planted_pool(300, seed=2, flip_worker=1)
    loss = TraceRegLoss(answers, n_workers=3, n_classes=C, trace_weight=0.01)
    logits = fit(loss, 300)
    conf = loss.confusions().detach()
    assert (conf[1].argmax(1) == (torch.arange(C) + 1) % C).all()
    assert (conf[0].argmax(1) == torch.arange(C)).all()
    assert (logits.argmax(1).numpy() == truth).mean() > 0.9


def test_worker_parameters_scale_with_workers_not_images():
    n_images, n_workers = 50_000, 10_000
    g = torch.Generator().manual_seed(0)
    answers = SparseAnswers(
        torch.randint(0, n_images, (100_000,), generator=g),
        torch.randint(0, n_workers, (100_000,), generator=g),
        torch.randint(0, C, (100_000,), generator=g),
        n_images,
    )
    loss = TraceRegLoss(answers, n_workers=n_workers, n_classes=C)
    assert sum(p.numel() for p in loss.parameters()) == n_workers * C * C
    value = loss(torch.randn(32, C), torch.arange(32))
    assert torch.isfinite(value)


def test_consensus_is_never_fitted_on_the_fold_it_scores():
    groups = np.repeat(np.arange(20), 3)  # 60 images, groups of 3
    fold = fold_ids(groups, folds=3, seed=0)
    assert all(len(set(fold[groups == g])) == 1 for g in range(20))
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def fit_predict(fit_idx, held_idx):
        seen.append((fit_idx, held_idx))
        out = np.zeros((len(held_idx), C))
        out[:, 0] = 1.0
        return out

    probs = cross_fit(fold, fit_predict)
    assert len(seen) == 3
    for fit_idx, held_idx in seen:
        assert not set(fit_idx) & set(held_idx)
        assert len(fit_idx) + len(held_idx) == 60
    assert sorted(np.concatenate([h for _, h in seen]).tolist()) == list(range(60))
    assert (probs[:, 0] == 1).all()


def test_consensus_weighs_good_workers_over_a_spammer_and_uses_the_model():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, C, 200)
    rows = []
    for i, y in enumerate(truth):
        for w in ("good1", "good2"):
            rows.append((f"t{i}", w, str(y if rng.random() < 0.85 else rng.integers(0, C))))
        rows.append((f"t{i}", "spam", str(rng.integers(0, C))))
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    codes = encode(
        answers,
        tasks=np.array([f"t{i}" for i in range(200)]),
        labels=np.array([str(c) for c in range(C)], dtype=object),
    )
    votes = np.zeros((200, C))
    np.add.at(votes, (codes.task.numpy(), codes.label.numpy()), 1)
    initial = votes.argmax(1)
    model = np.full((200, C), 0.1)
    model[np.arange(200), truth] = 0.8  # a good out-of-sample model
    result = crowdlab_consensus(codes, initial, model)
    weight = dict(zip(codes.worker_ids, result.worker_weight, strict=True))
    quality = dict(zip(codes.worker_ids, result.worker_quality, strict=True))
    assert weight["spam"] < min(weight["good1"], weight["good2"])
    assert quality["spam"] < min(quality["good1"], quality["good2"])
    assert (result.label == truth).mean() > (initial == truth).mean()
    assert np.allclose(result.posterior.sum(1), 1.0, atol=1e-5)


def test_sparse_answers_index_positions_among_answered_images():
    answers = pd.DataFrame(
        {"task": ["b", "d", "d"], "worker": ["x", "y", "x"], "label": ["0", "1", "1"]}
    )
    codes = encode(
        answers, tasks=np.array(["a", "b", "c", "d"]), labels=np.array(["0", "1"], dtype=object)
    )
    answered = np.array([False, True, False, True])
    sparse = sparse_answers(codes, answered)
    row, worker, label = sparse.gather(torch.tensor([1]))  # position 1 = image "d"
    assert sorted(label.tolist()) == [1, 1] and len(row) == 2


@pytest.mark.parametrize(
    "robust",
    [
        "crowd_layer",
        pytest.param("trace_reg", marks=pytest.mark.slow),
        pytest.param("consensus", marks=pytest.mark.slow),
    ],
)
def test_train_from_raw_answers_end_to_end(make_cfg, robust):
    from pathlib import Path

    from crowdsign.pipeline import train

    cfg = make_cfg("train", ["debug=smoke", f"robust={robust}", "trainer.epochs=1"])
    metrics = train(cfg)
    assert 0.0 <= metrics["test/accuracy"] <= 1.0
    crowd = Path(cfg.paths.output_dir) / "crowd"
    if robust == "consensus":
        workers = pd.read_csv(crowd / "consensus_workers.csv")
        assert {"worker", "answers", "weight", "quality"} <= set(workers.columns)
        assert len(pd.read_csv(crowd / "consensus_images.csv")) == 256
    else:
        learned = pd.read_csv(crowd / "learned_workers.csv")
        assert learned["learned_accuracy"].between(0, 1).all()


def test_consensus_keeps_good_workers_on_an_imbalanced_task():
    # 25% positives, three answers per image from a noisy pool: agreement with the *other*
    # (noisy) workers falls below "always the commonest class" for every worker, so CROWDLAB's
    # baseline zeroes them all; the chance (kappa) baseline keeps good workers and drops spam.
    rng = np.random.default_rng(0)
    n = 400
    truth = (rng.random(n) < 0.25).astype(int)
    rows = []
    for i, y in enumerate(truth):
        for w in rng.choice(["g1", "g2", "g3", "s1", "s2"], size=3, replace=False):
            good = w.startswith("g") and rng.random() < 0.85
            label = y if good else (rng.integers(0, 2) if w.startswith("s") else 1 - y)
            rows.append((f"t{i}", w, str(label)))
    answers = pd.DataFrame(rows, columns=["task", "worker", "label"])
    codes = encode(answers, tasks=np.array([f"t{i}" for i in range(n)]),
                   labels=np.array(["0", "1"], dtype=object))  # fmt: skip
    votes = np.zeros((n, 2))
    np.add.at(votes, (codes.task.numpy(), codes.label.numpy()), 1)
    model = np.full((n, 2), 0.5)  # an uninformative fold model
    majority = crowdlab_consensus(codes, votes.argmax(1), model, log_pool=True, baseline="majority")
    chance = crowdlab_consensus(codes, votes.argmax(1), model, log_pool=True)
    assert (majority.worker_weight <= 1e-6).all()  # every worker at the floor ...
    assert np.allclose(majority.posterior, 0.5, atol=0.01)  # ... and the targets are flat
    weight = dict(zip(codes.worker_ids, chance.worker_weight, strict=True))
    assert min(weight["g1"], weight["g2"], weight["g3"]) > 0.05
    assert max(weight["s1"], weight["s2"]) < min(weight["g1"], weight["g2"], weight["g3"])
    assert (chance.label == truth).mean() > 0.8


def test_consensus_baseline_is_checked():
    with pytest.raises(ValueError, match="robust.consensus.baseline"):
        ConsensusConfig(baseline="mode")
