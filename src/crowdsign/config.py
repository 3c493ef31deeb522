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

from crowdsign.augment import schemas as augment_schemas
from crowdsign.augment.schemas import AugmentConfig
from crowdsign.crowd import schemas as crowd_schemas
from crowdsign.crowd.schemas import AggregateConfig
from crowdsign.data import schemas as data_schemas
from crowdsign.models import schemas as model_schemas


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
    for package in (data_schemas, crowd_schemas, augment_schemas, model_schemas):
        package.register(cs)
    cs.store(group="optim", name="base_optim", node=OptimConfig)
    cs.store(group="trainer", name="base_trainer", node=TrainerConfig)
