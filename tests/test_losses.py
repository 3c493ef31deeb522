"""One loss normalisation for hard, soft and GCE targets, with and without class weights."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from crowdsign.training.losses import crowd_loss


def batch(seed: int = 0, b: int = 16, c: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, c, generator=g) * 2, torch.randint(0, c, (b,), generator=g)


WEIGHTS = torch.tensor([0.3, 1.0, 4.0])


@pytest.mark.parametrize("weights", [None, WEIGHTS])
@pytest.mark.parametrize("gce_q", [0.0, 0.7])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_one_hot_soft_target_equals_hard_target(weights, gce_q, smoothing):
    logits, y = batch()
    soft = F.one_hot(y, 3).float()
    hard_loss = crowd_loss(logits, y, smoothing, weights, gce_q)
    soft_loss = crowd_loss(logits, soft, smoothing, weights, gce_q)
    assert soft_loss.item() == pytest.approx(hard_loss.item(), rel=1e-6)


@pytest.mark.parametrize("weights", [None, WEIGHTS])
def test_hard_cross_entropy_is_pytorchs_weighted_mean(weights):
    logits, y = batch(1)
    ours = crowd_loss(logits, y, 0.0, weights)
    assert ours.item() == pytest.approx(F.cross_entropy(logits, y, weight=weights).item(), 1e-6)
    # and by hand: sum_i w_yi * -log p_i,yi / sum_i w_yi
    w = torch.ones(3) if weights is None else weights
    nll = -logits.log_softmax(1)[torch.arange(len(y)), y]
    assert ours.item() == pytest.approx(((w[y] * nll).sum() / w[y].sum()).item(), 1e-6)


def test_unweighted_label_smoothing_is_pytorchs():
    logits, y = batch(2)
    ours = crowd_loss(logits, y, 0.1)
    assert ours.item() == pytest.approx(
        F.cross_entropy(logits, y, label_smoothing=0.1).item(), 1e-6
    )


def test_weighted_gce_is_normalised_by_the_targets_weights():
    logits, y = batch(3)
    q = 0.7
    per = (1 - logits.softmax(1)[torch.arange(len(y)), y] ** q) / q
    expected = (WEIGHTS[y] * per).sum() / WEIGHTS[y].sum()
    assert crowd_loss(logits, y, 0.0, WEIGHTS, q).item() == pytest.approx(expected.item(), 1e-6)
    # scaling every weight by a constant changes nothing: the scale is that of the loss
    scaled = crowd_loss(logits, y, 0.0, WEIGHTS * 10, q)
    assert scaled.item() == pytest.approx(expected.item(), 1e-6)


def test_soft_targets_weight_each_class_share():
    logits = torch.tensor([[1.0, -1.0, 0.5]])
    soft = torch.tensor([[0.5, 0.5, 0.0]])
    logp = logits.log_softmax(1)[0]
    w = WEIGHTS
    expected = -(w[0] * 0.5 * logp[0] + w[1] * 0.5 * logp[1]) / (w[0] * 0.5 + w[1] * 0.5)
    assert crowd_loss(logits, soft, 0.0, w).item() == pytest.approx(expected.item(), 1e-6)
