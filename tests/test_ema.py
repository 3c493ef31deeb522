"""Weight averaging (trainer.ema_decay): the update rule, what best.pt ships, exact resume."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import crowdsign.training.run as run_module
from crowdsign.checks import validate_config
from crowdsign.errors import ConfigError
from crowdsign.inference import load_model
from crowdsign.pipeline import train
from crowdsign.runtime.checkpoint import load_checkpoint
from crowdsign.training.ema import WeightAverage, weight_average

EMA = ["debug=smoke", "trainer.ema_decay=0.9"]


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))


def test_average_follows_the_update_rule_for_parameters_and_buffers():
    model = _net()
    ema = WeightAverage(model, decay=0.75)
    ema.update(model)  # the first update copies
    before = {k: v.clone() for k, v in ema.module.state_dict().items()}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
        model[1].running_mean.add_(2.0)
    ema.update(model)
    after = ema.module.state_dict()
    now = model.state_dict()
    for name in ("0.weight", "0.bias", "1.weight", "1.running_mean"):
        expected = 0.75 * before[name] + 0.25 * now[name]
        torch.testing.assert_close(after[name], expected)
    assert not torch.equal(after["0.weight"], now["0.weight"])


def test_zero_decay_is_off_and_bad_decay_is_refused():
    assert weight_average(_net(), 0.0) is None
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(_net(), 1.0)


def test_ema_decay_out_of_range_is_a_config_error(make_cfg):
    cfg = make_cfg("train", ["debug=smoke", "trainer.ema_decay=1.5"], out="bad")
    with pytest.raises(ConfigError, match=r"trainer\.ema_decay=1\.5 must be"):
        validate_config(cfg)


def test_best_checkpoint_ships_the_average_and_resume_is_exact(make_cfg, monkeypatch):
    full = train(make_cfg("train", EMA, out="full"))
    run = make_cfg("train", EMA, out="full").paths.output_dir
    last = load_checkpoint(f"{run}/checkpoints/last.pt")
    assert set(last["ema"]) == {"module", "n_averaged"}
    differs = [
        not torch.equal(last["model"][k], last["trained_model"][k])
        for k in last["model"]
        if last["model"][k].is_floating_point()
    ]
    assert any(differs)  # best/last "model" is the average, not the trained weights
    loaded = load_model(f"{run}/checkpoints/best.pt")
    assert loaded is not None

    real_save = run_module.save_checkpoint

    def save_then_die(state, path):
        real_save(state, path)
        if path.name == "last.pt" and state["epoch"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train(make_cfg("train", EMA, out="killed"))
    monkeypatch.setattr(run_module, "save_checkpoint", real_save)
    resumed = train(make_cfg("train", [*EMA, "resume=true"], out="killed"))
    for k in ("test/accuracy", "test/ece", "val/best_balanced_accuracy"):
        assert resumed[k] == full[k], k
