"""Shared fixtures: compose configs with Hydra's compose API, shrink them, keep runs in tmp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from crowdsign.config import register_configs

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "configs"

register_configs()


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One render cache for the whole session, so the smoke world renders once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def make_cfg(tmp_path: Path, cache_dir: Path) -> Callable[..., DictConfig]:
    """``make_cfg("train", ["debug=smoke"], out="run")`` → a composed config, runnable."""

    def _make(
        name: str = "train", overrides: list[str] | tuple = (), out: str = "run"
    ) -> DictConfig:
        GlobalHydra.instance().clear()
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(
                name,
                overrides=[
                    *overrides,
                    f"paths.output_dir={tmp_path / out}",
                    f"paths.cache_dir={cache_dir}",
                ],
                return_hydra_config=True,
            )
        HydraConfig.instance().set_config(cfg)
        with open_dict(cfg):
            del cfg.hydra
        return cfg

    yield _make
    GlobalHydra.instance().clear()


@pytest.fixture
def restore_rng():
    """Tests that touch global RNG state leave it as they found it."""
    state = torch.get_rng_state()
    yield
    torch.set_rng_state(state)
