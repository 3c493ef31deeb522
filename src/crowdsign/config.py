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
from crowdsign.evaluation import schemas as report_schemas
from crowdsign.inference import schemas as inference_schemas
from crowdsign.models import schemas as model_schemas
from crowdsign.training import schemas as training_schemas
from crowdsign.training.schemas import PathsConfig, TrainerConfig


# --- optim ------------------------------------------------------------------------------------
@dataclass
class OptimConfig:
    optimizer: Any = MISSING  # _target_ + _partial_: called with the model's param groups
    scheduler: Any = MISSING  # _target_ + _partial_: called with (optimizer, total_steps)


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
    crowd_loss: Any = None  # robust=crowd_layer|trace_reg: a per-worker confusion loss
    consensus: Any = None  # robust=consensus: cross-fitted consensus targets
    task: str = "binary"  # binary (not_stop/stop) | multiclass; every data source reads it
    seed: int = 0
    resume: bool = False
    task_name: str = "train"
    tags: list[str] = field(default_factory=list)


@dataclass
class EvaluateConfig:
    ckpt_path: str = MISSING
    split: str = "test"
    data: Any = None  # None: rebuild the data the checkpoint was trained on
    report: Any = MISSING  # report group: standard | robustness | scaling
    sweep_dir: str | None = None  # report=scaling: the multirun dir to report on
    task: Any = None  # with data=<source>: None scores the checkpoint's own task
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    task_name: str = "evaluate"
    seed: int = 0


def register_configs() -> None:
    """Register every schema; called by the entry points before Hydra composes."""
    cs = ConfigStore.instance()
    cs.store(name="base_train", node=TrainConfig)
    cs.store(name="base_evaluate", node=EvaluateConfig)
    for package in (
        data_schemas,
        crowd_schemas,
        augment_schemas,
        model_schemas,
        training_schemas,
        report_schemas,
        inference_schemas,
    ):
        package.register(cs)
    cs.store(group="optim", name="base_optim", node=OptimConfig)
