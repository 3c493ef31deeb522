"""Value checks declared beside the schemas (crowdsign.checks)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest
from conftest import REPO
from omegaconf import OmegaConf

from crowdsign.checks import (
    CHECK,
    RENAMED_KEYS,
    Check,
    checked,
    reject_renamed_keys,
    validate_config,
)
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


# --- one meaning per name: renamed keys ---------------------------------------------------
@pytest.mark.parametrize(("old", "new"), sorted(RENAMED_KEYS.items()))
def test_a_renamed_key_names_its_new_name(old, new):
    with pytest.raises(ConfigError, match=rf"^{re.escape(old)} was renamed {re.escape(new)}: "):
        reject_renamed_keys(["debug=smoke", f"{old}=1"])
    with pytest.raises(ConfigError, match=re.escape(new)):
        reject_renamed_keys([f"+{old}=1"])
    reject_renamed_keys([f"{new}=1", "crowd.n_workers=10"])  # the new names pass


def test_a_renamed_node_names_the_new_path_of_its_keys():
    with pytest.raises(ConfigError, match=r"^crowd_loss.trace_weight was renamed robust\.crowd"):
        reject_renamed_keys(["robust=trace_reg", "crowd_loss.trace_weight=0.1"])
    reject_renamed_keys(["crowd_losses=1", "robust.consensus.folds=3"])  # not a renamed node


def test_the_new_names_compose(make_cfg):
    cfg = make_cfg(
        "train",
        [
            "trainer.loader_workers=2",
            "data.decode_workers=1",
            "data.split_seed=3",
            "run_name=mine",
            "crowd.n_workers=7",
        ],
    )
    assert (cfg.trainer.loader_workers, cfg.data.decode_workers, cfg.data.split_seed) == (2, 1, 3)
    assert cfg.run_name == "mine" and cfg.crowd.n_workers == 7
    assert "workers" not in cfg.data and "seed" not in cfg.data and "task_name" not in cfg
    predict = make_cfg("predict", ["ckpt_path=x.pt", "inputs=.", "decode_workers=2"])
    assert predict.decode_workers == 2 and "workers" not in predict


def test_the_root_seed_sets_every_run_seed_but_not_the_split(make_cfg):
    cfg = make_cfg("train", ["seed=7", "aggregate=ds"])
    assert cfg.data.subset_seed == cfg.crowd.seed == cfg.trainer.seed == 7
    assert cfg.aggregate.estimator.seed == 7
    assert cfg.data.split_seed == 0  # one test split for every seed of a sweep
    explicit = make_cfg("train", ["seed=7", "crowd.seed=1", "trainer.seed=2"])
    assert (explicit.data.subset_seed, explicit.crowd.seed, explicit.trainer.seed) == (7, 1, 2)


def test_train_py_rejects_a_renamed_key_in_one_line(tmp_path):
    run = subprocess.run(
        [sys.executable, str(REPO / "train.py"), "debug=smoke", "trainer.num_workers=2"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines == [
        "error: trainer.num_workers was renamed trainer.loader_workers: "
        "pass trainer.loader_workers=<value> instead of trainer.num_workers=2"
    ]
    assert not (tmp_path / "outputs").exists()  # stopped before Hydra made a run dir


# --- closed choices fail when the command starts, one line naming the key ------------------
@pytest.mark.parametrize(
    ("name", "override"),
    [
        ("train", "task=multi"),
        ("train", "robust.target=sofft"),
        ("train", "trainer.balance=weight"),
        ("train", "trainer.precision=bf17"),
        ("train", "augment.preset=medium"),
        ("train", "augment.contrast=clahe2"),
        ("evaluate", "split=tset"),
        ("evaluate", "task=multi"),
        ("label", "mode=nxt"),
        ("label", "batch.platform=mturk2"),
        ("export", "format=tflite"),
    ],
)
def test_a_closed_choice_typo_is_one_line(make_cfg, name, override):
    required = {"evaluate": ["ckpt_path=x.pt"], "export": ["ckpt_path=x.pt"]}.get(name, [])
    cfg = make_cfg(name, [*required, override])
    key, value = override.split("=")
    with pytest.raises(ConfigError) as raised:
        validate_config(cfg)
    message = str(raised.value)
    assert message.startswith(f"{key}={value!r} is not one of ") and "\n" not in message
