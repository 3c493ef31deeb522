"""Every config group composes; typos and wrong types fail at compose time."""

from __future__ import annotations

import pytest
from conftest import CONFIG_DIR
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate
from omegaconf.errors import ValidationError

GROUPS = [
    "data",
    "crowd",
    "aggregate",
    "augment",
    "model",
    "optim",
    "trainer",
    "experiment",
    "debug",
]


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize(
    "override",
    [f"{g}={o}" for g in GROUPS for o in options(g)],
)
def test_every_group_option_composes(make_cfg, override):
    cfg = make_cfg("train", [override])
    assert cfg.model._target_
    assert cfg.trainer.epochs > 0


def test_default_builds_every_object(make_cfg):
    cfg = make_cfg("train")
    model = instantiate(cfg.model, num_classes=2)
    assert sum(p.numel() for p in model.parameters()) > 1000
    estimator = instantiate(cfg.aggregate.estimator)
    assert hasattr(estimator, "fit_codes")


def test_evaluate_requires_ckpt_path(make_cfg):
    cfg = make_cfg("evaluate")
    with pytest.raises(Exception, match="ckpt_path"):
        _ = cfg.ckpt_path


@pytest.mark.parametrize(
    "override, message",
    [
        ("trainer.epoch=3", "epoch"),  # misspelled key
        ("data.stop_fracton=0.1", "stop_fracton"),  # misspelled key in a typed group
        ("trainer.epochs=many", "epochs"),  # wrong type
        ("data=nonexistent", "nonexistent"),  # unknown group option
    ],
)
def test_bad_overrides_fail_at_compose_time(make_cfg, override, message):
    with pytest.raises((ConfigCompositionException, ValidationError), match=message):
        make_cfg("train", [override])
