"""Typed schemas under the YAML config tree, registered in Hydra's ConfigStore.

Each YAML file in ``configs/<group>/`` starts with ``defaults: [base_<name>, _self_]`` so a
misspelled key or a wrong type fails at compose time with Hydra's own message. Groups mirror the
package: ``data`` → :mod:`crowdsign.data`, ``crowd`` → :mod:`crowdsign.crowd`, and so on.
Objects are built with ``hydra.utils.instantiate`` from ``_target_``; no string dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


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


# --- augment ----------------------------------------------------------------------------------
@dataclass
class AugmentConfig:
    """Train preset by name (see ``crowdsign.augment.PRESETS``); eval is always resize only."""

    preset: str = "default"
    hflip: bool = False  # off by default: a mirrored STOP is not a stop sign


# --- model ------------------------------------------------------------------------------------
@dataclass
class ModelConfig:
    """Any ``nn.Module`` factory taking ``num_classes``, which is filled in from the data."""

    _target_: str = MISSING


# --- optim ------------------------------------------------------------------------------------
@dataclass
class OptimConfig:
    optimizer: Any = MISSING  # _target_ + _partial_: called with the model's param groups
    scheduler: Any = MISSING  # _target_ + _partial_: called with (optimizer, total_steps)


# --- trainer ----------------------------------------------------------------------------------
@dataclass
class TrainerConfig:
    epochs: int = 10
    batch_size: int = 128
    eval_batch_size: int = 512
    num_workers: int = 0  # DataLoader workers; 0 loads in the main process
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "auto"  # auto (bf16 on CUDA, fp32 on CPU) | bf16 | fp32
    channels_last: bool = True  # on CUDA only
    compile: bool = False
    label_smoothing: float = 0.0
    grad_clip: float = 0.0  # max grad norm; 0 disables
    max_steps: int = 0  # stop after this many optimizer steps (0 = no limit); for smoke runs
    limit_val_batches: int = 0  # 0 = all
    log_every: int = 50  # steps between TensorBoard scalars
    threads: int = 0  # torch intra-op threads on CPU; 0 = torch's default
    progress: bool = True  # tqdm bars


@dataclass
class PathsConfig:
    cache_dir: str = "${oc.env:CROWDSIGN_CACHE,${hydra:runtime.cwd}/data/cache}"
    output_dir: str = "${hydra:runtime.output_dir}"


# --- roots ------------------------------------------------------------------------------------
@dataclass
class TrainConfig:
    data: Any = MISSING
    crowd: Any = MISSING
    aggregate: AggregateConfig = MISSING
    augment: AugmentConfig = MISSING
    model: Any = MISSING
    optim: OptimConfig = MISSING
    trainer: TrainerConfig = MISSING
    paths: PathsConfig = field(default_factory=PathsConfig)
    experiment: Any = None
    debug: Any = None
    seed: int = 0
    resume: bool = False
    task_name: str = "train"
    tags: list[str] = field(default_factory=list)


@dataclass
class EvaluateConfig:
    ckpt_path: str = MISSING
    split: str = "test"
    data: Any = None  # None: rebuild the data the checkpoint was trained on
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    task_name: str = "evaluate"
    seed: int = 0


def register_configs() -> None:
    """Register every schema; called by the entry points before Hydra composes."""
    cs = ConfigStore.instance()
    cs.store(name="base_train", node=TrainConfig)
    cs.store(name="base_evaluate", node=EvaluateConfig)
    cs.store(group="data", name="base_synthetic", node=SyntheticDataConfig)
    cs.store(group="crowd", name="base_simulated", node=SimulatedCrowdConfig)
    cs.store(group="crowd", name="base_none", node=NoCrowdConfig)
    cs.store(group="aggregate", name="base_aggregate", node=AggregateConfig)
    cs.store(group="augment", name="base_augment", node=AugmentConfig)
    cs.store(group="model", name="base_model", node=ModelConfig)
    cs.store(group="optim", name="base_optim", node=OptimConfig)
    cs.store(group="trainer", name="base_trainer", node=TrainerConfig)
