"""One hop from a config file to its code: every option of a group shows its values.

A group option's YAML names its ``_target_`` (where the schema builds an object) and lists
every value of its schema, so a reader sees what there is to change without opening the
Python schema (which stays, for types and value checks). An option may instead extend a
sibling of its group (``defaults: [gtsrb, _self_]``) and hold only what differs.
Overlays (``experiment``, ``debug``, ``labels``) and Hydra's ``hydra`` only override.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CONFIG_DIR
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

OVERLAYS = ("experiment", "debug", "labels", "hydra")
# plumbing Hydra reads, not a value to change
PLUMBING = ("_convert_",)
# groups whose options build an object: their YAML must name the _target_
BUILDS = ("data", "crowd", "model", "report", "strategy")


def _group_options() -> list[tuple[str, Path]]:
    return sorted(
        (group.name, path)
        for group in CONFIG_DIR.iterdir()
        if group.is_dir() and group.name not in OVERLAYS
        for path in group.glob("*.yaml")
    )


def _defaults(raw: DictConfig) -> list[str]:
    return [d for d in raw.get("defaults", []) if isinstance(d, str) and d != "_self_"]


def _schema(group: str, name: str) -> DictConfig:
    return ConfigStore.instance().repo[group][f"{name}.yaml"].node


def _filled_by_defaults(raw: DictConfig) -> set[str]:
    """Keys a defaults entry fills (``- /strategy@strategy: uniform`` fills ``strategy``)."""
    keys = set()
    for d in raw.get("defaults", []):
        if not isinstance(d, str | DictConfig):
            continue
        for entry in [d] if isinstance(d, str) else list(d.keys()):
            if "@" in entry:
                keys.add(entry.split("@", 1)[1])
    return keys


OPTIONS = _group_options()


def test_the_option_list_holds_every_group():
    groups = {g for g, _ in OPTIONS}
    assert {
        "data",
        "crowd",
        "aggregate",
        "augment",
        "model",
        "optim",
        "trainer",
        "report",
    } <= groups
    assert groups.isdisjoint(OVERLAYS)


@pytest.mark.parametrize(("group", "path"), OPTIONS, ids=[f"{g}/{p.stem}" for g, p in OPTIONS])
def test_option_shows_its_target_and_values(group, path):
    raw = OmegaConf.load(path)
    bases = [d for d in _defaults(raw) if d.startswith("base_")]
    siblings = [d for d in _defaults(raw) if (path.parent / f"{d}.yaml").is_file()]
    if siblings:  # extends a sibling option that lists everything; holds only differences
        assert not bases, f"{path}: extends {siblings} and a schema"
        return
    assert len(bases) == 1, f"{path}: defaults name no base_* schema nor a sibling option"
    schema = _schema(group, bases[0])
    listed = set(raw.keys()) | _filled_by_defaults(raw)
    wanted = {k for k in schema if k not in PLUMBING}
    missing = sorted(wanted - listed)
    assert not missing, f"{path} does not list {missing} (its schema {bases[0]}'s values)"
    if group in BUILDS:
        assert raw.get("_target_"), f"{path}: a {group} option names the _target_ it builds"
    if "_target_" in schema:
        assert raw._target_ == schema._target_ or schema._target_ == "???", path
