"""Config schemas of the ``data`` group (one per source)."""

from __future__ import annotations

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore


# --- data -------------------------------------------------------------------------------------
@dataclass
class SyntheticDataConfig:
    """The embedded synthetic stop-sign world (:func:`crowdsign.data.synthetic.load_synthetic`)."""

    _target_: str = "crowdsign.data.synthetic.load_synthetic"
    task: str = "binary"  # binary (not_stop/stop) | multiclass (every rendered class)
    image_size: int = 64
    n_train: int = 10_000
    n_val: int = 2_000
    n_test: int = 2_000
    stop_fraction: float = 0.4  # share of stop signs among rendered images
    seed: int = 0  # world seed: a different seed renders a different world
    cache_dir: str = "${paths.cache_dir}"
    workers: int = 0  # render processes; 0 = all cores


def register(cs: ConfigStore) -> None:
    cs.store(group="data", name="base_synthetic", node=SyntheticDataConfig)
