"""Value checks declared beside the schemas (crowdsign.checks)."""

from __future__ import annotations

import dataclasses

import pytest
from omegaconf import OmegaConf

from crowdsign.checks import CHECK, Check, checked, validate_config
from crowdsign.crowd.schemas import RealisticCrowdConfig, SimulatedCrowdConfig
from crowdsign.errors import ConfigError


@dataclasses.dataclass
class Inner:
    size: int = checked(3, ge=1)
    share: float | None = checked(None, ge=0, le=1)
    mode: str = checked("a", choices=("a", "b"))
    free: int = -5  # not checked


@dataclasses.dataclass
class Outer:
    inner: Inner = dataclasses.field(default_factory=Inner)
    kind: str = checked("x", choices=("x", "y"))


def test_defaults_pass_and_none_is_not_checked():
    validate_config(OmegaConf.structured(Outer))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("inner.size", 0, r"inner\.size=0 must be >= 1: pass inner\.size=<a value >= 1>"),
        ("inner.share", 1.5, r"inner\.share=1\.5 must be >= 0 and <= 1"),
        ("inner.share", float("nan"), r"inner\.share=nan must be"),
        ("inner.mode", "c", r"inner\.mode='c' is not one of a, b: pass inner\.mode=<one of them>"),
    ],
)
def test_a_bad_value_names_the_key_and_what_to_pass(key, value, message):
    cfg = OmegaConf.structured(Outer)
    OmegaConf.update(cfg, key, value)
    with pytest.raises(ConfigError, match=message):
        validate_config(cfg)


def test_a_node_is_checked_before_its_children():
    cfg = OmegaConf.structured(Outer)
    cfg.kind, cfg.inner.size = "z", 0
    with pytest.raises(ConfigError, match="^kind="):
        validate_config(cfg)


def test_subclass_defaults_keep_their_checks():
    for schema in (SimulatedCrowdConfig, RealisticCrowdConfig):
        fields = {f.name: f for f in dataclasses.fields(schema)}
        assert isinstance(fields["noise"].metadata[CHECK], Check)
        assert CHECK in fields["adversarial"].metadata


def test_composed_config_values_are_checked(make_cfg):
    validate_config(make_cfg("train", ["debug=smoke"]))
    with pytest.raises(ConfigError, match="crowd.noise=1.5"):
        validate_config(make_cfg("train", ["crowd=uniform", "crowd.noise=1.5"]))
    with pytest.raises(ConfigError, match="threshold=2.0"):
        validate_config(make_cfg("predict", ["ckpt_path=x.pt", "inputs=.", "threshold=2"]))
