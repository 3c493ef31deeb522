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


def compose_config(name: str, overrides: list[str] | tuple = ()) -> DictConfig:
    """Compose ``configs/<name>.yaml`` as the entry point would, minus the ``hydra`` node."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(name, overrides=list(overrides), return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg.hydra
    GlobalHydra.instance().clear()
    return cfg


@pytest.fixture
def make_cfg(tmp_path: Path, cache_dir: Path) -> Callable[..., DictConfig]:
    """``make_cfg("train", ["debug=smoke"], out="run")`` → a composed config, runnable."""

    def _make(
        name: str = "train", overrides: list[str] | tuple = (), out: str = "run"
    ) -> DictConfig:
        return compose_config(
            name,
            [*overrides, f"paths.output_dir={tmp_path / out}", f"paths.cache_dir={cache_dir}"],
        )

    return _make


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory, cache_dir) -> tuple[DictConfig, dict[str, float]]:
    """One ``debug=smoke`` train per session: (its config, its metrics). Treat as read-only;
    copy the run dir (``cfg.paths.output_dir``) before changing anything in it."""
    from crowdsign.pipeline import train

    out = tmp_path_factory.mktemp("smoke")
    cfg = compose_config(
        "train", ["debug=smoke", f"paths.output_dir={out}", f"paths.cache_dir={cache_dir}"]
    )
    return cfg, train(cfg)


@pytest.fixture
def restore_rng():
    """Tests that touch global RNG state leave it as they found it."""
    state = torch.get_rng_state()
    yield
    torch.set_rng_state(state)
