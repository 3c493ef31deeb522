"""Config schemas of the ``crowd`` and ``aggregate`` groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


# --- crowd ------------------------------------------------------------------------------------
@dataclass
class SimulatedCrowdConfig:
    """A simulated worker pool labeling every training image k times."""

    _target_: str = "crowdsign.crowd.simulate.simulate_crowd"
    _partial_: bool = True
    labels_per_image: int = 3
    n_workers: int = 100
    # shares of worker types; each type's accuracy range is in crowd.simulate.WORKER_TYPES
    reliable: float = 0.5
    average: float = 0.35
    spammer: float = 0.15
    difficulty_effect: float = 0.5  # how much harder images (small, faded) lower accuracy
    seed: int = "${seed}"  # type: ignore[assignment]


@dataclass
class NoCrowdConfig:
    """Train on the source's own labels (no crowd)."""

    _target_: str = "crowdsign.crowd.simulate.source_labels"
    _partial_: bool = True


# --- aggregate --------------------------------------------------------------------------------
@dataclass
class AggregateConfig:
    """How crowd answers become training targets."""

    estimator: Any = field(
        default_factory=lambda: {"_target_": "crowdsign.crowd.aggregate.MajorityVote", "seed": 0}
    )
    target: str = "hard"  # hard: argmax label; soft: cross-entropy against the posterior


def register(cs: ConfigStore) -> None:
    cs.store(group="crowd", name="base_simulated", node=SimulatedCrowdConfig)
    cs.store(group="crowd", name="base_none", node=NoCrowdConfig)
    cs.store(group="aggregate", name="base_aggregate", node=AggregateConfig)
