"""Class-imbalance helpers (crowdsign.data.balance)."""

from __future__ import annotations

import numpy as np
import pytest

from crowdsign.data.balance import balanced_sampler_weights, class_weights


def test_class_weights_are_inverse_frequency_with_mean_one():
    truth = np.asarray([0] * 90 + [1] * 10)
    w = class_weights(truth, 3)
    assert w.dtype == np.float32
    assert np.allclose(w, [100 / (2 * 90), 100 / (2 * 10), 0.0])  # class 2 absent: weight 0
    assert np.isclose(w[truth].mean(), 1.0)


def test_sampler_weights_give_each_class_equal_mass():
    truth = np.asarray([0] * 975 + [1] * 25)  # GTSRB-like: 2.5% stop
    p = balanced_sampler_weights(truth)
    assert p.shape == (1000,) and np.isclose(p.sum(), 1.0)
    assert np.isclose(p[truth == 1].sum(), 0.5)
    draws = np.random.default_rng(0).choice(1000, size=20_000, p=p)
    assert abs(truth[draws].mean() - 0.5) < 0.02


def test_labels_outside_the_classes_are_an_error():
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        class_weights(np.asarray([0, 2]), 2)
