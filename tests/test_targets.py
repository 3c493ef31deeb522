"""Crowd answers → targets → batches: soft targets, class balance, answered-only training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from crowdsign.crowd.aggregate import MajorityVote
from crowdsign.crowd.answers import CrowdLabels
from crowdsign.data.imageset import ImageSet
from crowdsign.data.summary import LoadSummary
from crowdsign.pipeline import train
from crowdsign.training.batches import EpochSampler
from crowdsign.training.targets import aggregate_targets


def tiny_images(n: int = 6) -> ImageSet:
    return ImageSet(
        images=np.zeros((n, 4, 4, 3), np.uint8),
        image_id=np.array([f"img{i}" for i in range(n)]),
        group=np.arange(n),
        class_names=("not_stop", "stop"),
        truth=np.array([0, 1] * (n // 2)),
    )


def test_targets_cover_every_image_and_mark_the_unanswered():
    images = tiny_images()
    answers = pd.DataFrame(
        {
            "task": ["img0", "img0", "img0", "img1", "img1", "img3"],
            "worker": ["a", "b", "c", "a", "b", "c"],
            "label": ["not_stop", "not_stop", "stop", "stop", "stop", "not_stop"],
        }
    )
    crowd = CrowdLabels(answers=answers, summary=LoadSummary(source="test"))
    t = aggregate_targets(images, crowd, MajorityVote(seed=0))
    assert t.soft.shape == (6, 2)
    np.testing.assert_allclose(t.soft.sum(1), 1.0)
    np.testing.assert_array_equal(t.answered, [True, True, False, True, False, False])
    assert t.hard[0] == 0 and t.hard[1] == 1 and t.hard[3] == 0
    np.testing.assert_allclose(t.soft[0], [2 / 3, 1 / 3], rtol=1e-6)
    assert t.noise_rate(images.truth) == pytest.approx(1 / 3)  # img3 (truth stop) voted not_stop


def test_answers_with_an_unknown_label_are_refused():
    answers = pd.DataFrame({"task": ["img0"], "worker": ["a"], "label": ["yield"]})
    crowd = CrowdLabels(answers=answers, summary=LoadSummary(source="test"))
    with pytest.raises(ValueError, match="yield"):
        aggregate_targets(tiny_images(), crowd, MajorityVote())


def test_weighted_sampler_balances_classes():
    labels = np.array([0] * 900 + [1] * 100)
    weights = torch.where(torch.from_numpy(labels) == 1, 9.0, 1.0).double()
    drawn = [i for _, i in EpochSampler(1000, seed=0, weights=weights)]
    share = labels[drawn].mean()
    assert 0.44 < share < 0.56  # about half, vs 10% without weights


@pytest.mark.parametrize(
    "overrides",
    [
        ["aggregate=ds", "robust.target=soft"],
        ["trainer.balance=weights"],
        ["trainer.balance=sampler", "crowd=none"],
        ["crowd=clean"],  # a noise-free pool: every worker equally accurate
    ],
)
def test_smoke_train_variants(make_cfg, overrides):
    cfg = make_cfg("train", ["debug=smoke", "trainer.epochs=1", *overrides])
    metrics = train(cfg)
    assert np.isfinite(metrics["test/accuracy"])
    facts = json.loads((Path(cfg.paths.output_dir) / "crowd" / "targets.json").read_text())
    if "crowd=none" in overrides:
        assert facts["target_noise_vs_truth"] == 0.0  # the source's own labels


def test_unknown_balance_mode_is_clear(make_cfg):
    with pytest.raises(ValueError, match="trainer.balance"):
        train(make_cfg("train", ["debug=smoke", "trainer.balance=oversample"]))


def test_gce_matches_its_formula_and_bounds_a_wrong_label():
    from crowdsign.training.loop import loss_fn

    logits = torch.tensor([[2.0, 0.0], [0.0, 3.0]])
    target = torch.tensor([0, 0])  # the second label is wrong and confidently contradicted
    p = logits.softmax(1)
    q = 0.7
    expected = ((1 - p[0, 0] ** q) / q + (1 - p[1, 0] ** q) / q) / 2
    assert loss_fn(logits, target, 0.0, gce_q=q).item() == pytest.approx(expected.item(), rel=1e-6)
    # soft one-hot targets give the same loss as hard ones
    soft = torch.nn.functional.one_hot(target, 2).float()
    assert loss_fn(logits, soft, 0.0, gce_q=q).item() == pytest.approx(expected.item(), rel=1e-6)
    # a wrong label's loss is bounded by 1/q; cross-entropy's grows without bound
    far = torch.tensor([[-50.0, 50.0]])
    assert loss_fn(far, torch.tensor([0]), 0.0, gce_q=q).item() <= 1 / q + 1e-6
    assert loss_fn(far, torch.tensor([0]), 0.0).item() > 50


def test_smoke_train_with_gce(make_cfg):
    metrics = train(make_cfg("train", ["debug=smoke", "trainer.epochs=1", "robust.gce_q=0.7"]))
    assert np.isfinite(metrics["test/accuracy"])
    with pytest.raises(ValueError, match="gce_q"):
        train(make_cfg("train", ["debug=smoke", "robust.gce_q=1.5"], out="bad"))
