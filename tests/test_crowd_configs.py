"""The crowd config group: every preset and export reader composes and runs on a split."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra.utils import instantiate

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.cost import CostModel
from crowdsign.crowd.io.examples import FILES, example_images


@pytest.mark.parametrize(
    ("group", "extra"),
    [
        ("realistic", ["crowd.labels_per_image=5"]),
        ("simulated", []),
        ("uniform", ["crowd.noise=0.3"]),
        ("pairflip", []),
        ("clean", []),
        ("none", []),
        ("mturk", ["crowd.path={ex}/" + FILES["mturk"]]),
        ("toloka", ["crowd.path={ex}/" + FILES["toloka"]]),
        ("labelstudio", ["crowd.path={ex}/" + FILES["labelstudio"]]),
        ("long", ["crowd.path={ex}/" + FILES["long"]]),
    ],
)
def test_crowd_configs_compose_and_run(make_cfg, group, extra):
    ex = Path(__file__).resolve().parents[1] / "data" / "examples"
    cfg = make_cfg("train", [f"crowd={group}", *[e.format(ex=ex) for e in extra]])
    crowd = instantiate(cfg.crowd)(example_images())
    assert isinstance(crowd, CrowdLabels) and len(crowd.answers) >= 12
    assert set(crowd.answers["label"]) <= {"stop", "not_stop"}
    if group == "realistic":
        assert (crowd.answers.groupby("task").size() == 5).all()
        assert isinstance(crowd.cost, CostModel)
    if group in ("mturk", "toloka"):
        assert crowd.cost.fee == 0.2 and "status" in crowd.answers.columns


@pytest.mark.parametrize("group", ["realistic", "uniform", "pairflip", "clean"])
def test_every_preset_has_the_noise_knob_and_typos_fail_at_compose(make_cfg, group):
    cfg = make_cfg("train", [f"crowd={group}", "crowd.noise=0.0"])
    assert cfg.crowd.noise == 0.0
    with pytest.raises(Exception, match="nosie"):
        make_cfg("train", [f"crowd={group}", "crowd.nosie=0.1"])
