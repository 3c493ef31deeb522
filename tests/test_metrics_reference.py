"""runtime/metrics.py against reference implementations (scikit-learn) and hand-computed cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn import metrics as sk

from crowdsign.runtime.metrics import classification_metrics

BINARY = ("not_stop", "stop")
MULTI = ("stop", "yield", "no_entry", "other")


def probs_and_truth(n: int, c: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, c, n)
    logits = rng.normal(size=(n, c)) + 1.5 * np.eye(c)[truth] * rng.random((n, 1))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return p.astype(np.float32), truth


def ece_by_hand(p: np.ndarray, truth: np.ndarray, bins: int = 15) -> float:
    """Top-label ECE: sum over equal-width confidence bins of |accuracy - confidence| * share."""
    conf, pred = p.max(1), p.argmax(1)
    idx = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)  # bins (lo, hi]
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs((pred[m] == truth[m]).mean() - conf[m].mean())
    return total


@pytest.mark.parametrize(("names", "seed"), [(BINARY, 0), (MULTI, 1), (MULTI, 2)])
def test_metrics_match_scikit_learn(names, seed):
    c = len(names)
    p, truth = probs_and_truth(500, c, seed)
    ours, confusion = classification_metrics(torch.from_numpy(p), torch.from_numpy(truth), names)
    pred = p.argmax(1)
    s = names.index("stop")
    assert ours["accuracy"] == pytest.approx(sk.accuracy_score(truth, pred), abs=1e-6)
    assert ours["balanced_accuracy"] == pytest.approx(
        sk.balanced_accuracy_score(truth, pred), abs=1e-6
    )
    assert ours["stop_precision"] == pytest.approx(
        sk.precision_score(truth == s, pred == s), abs=1e-6
    )
    assert ours["stop_recall"] == pytest.approx(sk.recall_score(truth == s, pred == s), abs=1e-6)
    assert ours["stop_f1"] == pytest.approx(sk.f1_score(truth == s, pred == s), abs=1e-6)
    assert ours["stop_auroc"] == pytest.approx(sk.roc_auc_score(truth == s, p[:, s]), abs=1e-5)
    if c > 2:
        macro = sk.roc_auc_score(truth, p, multi_class="ovr", average="macro")
        assert ours["auroc_macro"] == pytest.approx(macro, abs=1e-5)
    np.testing.assert_array_equal(confusion.numpy(), sk.confusion_matrix(truth, pred))
    assert ours["ece"] == pytest.approx(ece_by_hand(p, truth), abs=1e-5)


def test_hand_computed_case():
    # 4 images, binary: truth [stop, stop, not, not]; predicted stop for images 0 and 2
    p = torch.tensor([[0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.9, 0.1]])
    truth = torch.tensor([1, 1, 0, 0])
    m, _ = classification_metrics(p, truth, BINARY)
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["balanced_accuracy"] == pytest.approx(0.5)  # recall 0.5 on each class
    assert m["stop_precision"] == pytest.approx(0.5) and m["stop_recall"] == pytest.approx(0.5)
    # AUROC: stop scores {0.8, 0.4} vs not-stop {0.7, 0.1}: 3 of 4 pairs ordered right
    assert m["stop_auroc"] == pytest.approx(0.75)
    # confidences 0.8 (right), 0.6 (wrong), 0.7 (wrong), 0.9 (right), each alone in its bin
    assert m["ece"] == pytest.approx((0.2 + 0.6 + 0.7 + 0.1) / 4)


def test_balanced_accuracy_averages_only_classes_present():
    p = torch.tensor([[0.9, 0.1, 0.0], [0.1, 0.9, 0.0], [0.0, 0.2, 0.8]])
    truth = torch.tensor([0, 0, 1])  # recalls 1/2 and 0/1; class 2 never true: left out
    m, _ = classification_metrics(p, truth, ("a", "b", "c"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns that class 2 is predicted, not true
        expected = sk.balanced_accuracy_score(truth.numpy(), p.argmax(1).numpy())
    assert m["balanced_accuracy"] == pytest.approx(expected) == pytest.approx(0.25)


def test_no_stop_predicted_gives_zero_precision_like_scikit_learn():
    p = torch.tensor([[0.9, 0.1], [0.8, 0.2]])
    truth = torch.tensor([1, 0])
    m, _ = classification_metrics(p, truth, BINARY)
    assert m["stop_precision"] == sk.precision_score([1, 0], [0, 0], zero_division=0) == 0.0
    assert m["stop_recall"] == 0.0


def test_wilson_intervals_match_published_values():
    from crowdsign.runtime.metrics import wilson_interval

    # Newcombe (1998), Table I: 81/263 → 0.2553-0.3662; 15/148 → 0.0624-0.1605
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=1e-4)
    lo, hi = wilson_interval(0, 20)
    assert lo == 0.0 and hi == pytest.approx(0.1611, abs=1e-4)
    assert all(np.isnan(wilson_interval(0, 0)))


def test_stop_recall_and_precision_carry_their_wilson_intervals():
    p, truth = probs_and_truth(400, 2, 5)
    m, _ = classification_metrics(torch.from_numpy(p), torch.from_numpy(truth), BINARY)
    assert m["stop_recall_lo"] < m["stop_recall"] < m["stop_recall_hi"]
    assert m["stop_precision_lo"] < m["stop_precision"] < m["stop_precision_hi"]
