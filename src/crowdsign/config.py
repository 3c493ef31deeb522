"""Typed schemas under the YAML config tree, registered in Hydra's ConfigStore.

Each YAML file in ``configs/<group>/`` starts with ``defaults: [base_<name>, _self_]`` so a
misspelled key or a wrong type fails at compose time with Hydra's own message, then names its
``_target_`` and lists every value of its schema, so one hop leads from a config file to its
code (tests/test_config_files.py keeps it so); an option may extend a sibling of its group and
hold only what differs (``model/compact_resnet_w8.yaml``). Groups mirror the
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
from crowdsign.checks import checked
from crowdsign.crowd import schemas as crowd_schemas
from crowdsign.crowd.active import schemas as active_schemas
from crowdsign.crowd.active.schemas import BatchConfig, BudgetConfig
from crowdsign.crowd.schemas import AggregateConfig
from crowdsign.data import schemas as data_schemas
from crowdsign.data.tasks import TASKS
from crowdsign.evaluation import schemas as report_schemas
from crowdsign.inference import schemas as inference_schemas
from crowdsign.models import schemas as model_schemas
from crowdsign.training import schemas as training_schemas
from crowdsign.training.schemas import PathsConfig, RobustConfig, TrainerConfig

SPLITS = ("train", "val", "test", "devtest")  # what evaluate.py scores (crowdsign.data.Splits)


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
    # target kind and loss (robust=<recipe>: configs/robust/); defaults without one
    robust: RobustConfig = field(default_factory=RobustConfig)
    acquire: Any = None  # buy the answers with a strategy first (configs/acquire/)
    # binary (not_stop/stop) | multiclass, as torchmetrics' `task`; every data source reads it
    # (an image a crowd answers is a crowd "task" only in answer tables, never a config key)
    task: str = checked("binary", choices=TASKS)
    # sets data.subset_seed, crowd.seed, trainer.seed (and the aggregator's) unless they are
    # set; the split (data.split_seed) stays fixed so every seed is scored on one test split
    seed: int = 0
    resume: bool = False
    run_name: str = "train"  # names the run dir: outputs/<run_name>/<time> (hydra/default.yaml)


@dataclass
class EvaluateConfig:
    ckpt_path: str = MISSING
    split: str = checked("test", choices=SPLITS)  # devtest: data=gtsrb_devtest's kept tracks
    data: Any = None  # None: rebuild the data the checkpoint was trained on
    report: Any = MISSING  # report group: standard | robustness | scaling
    sweep_dir: str | None = None  # report=scaling: the multirun dir to report on
    # with data=<source>: None scores the checkpoint's own task
    task: str | None = checked(None, choices=TASKS)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    run_name: str = "evaluate"


@dataclass
class LabelConfig:
    """``label.py``: the next batch to buy (``mode=next``) or a replay (``mode=replay``)."""

    data: Any = None  # the images (mode=next); a replay reads the export's tasks
    crowd: Any = MISSING  # the answers so far / the export to replay
    aggregate: AggregateConfig = MISSING
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    batch: BatchConfig = field(default_factory=BatchConfig)
    strategy: Any = MISSING
    paths: PathsConfig = field(default_factory=PathsConfig)
    mode: str = checked("next", choices=("next", "replay"))
    truth: str | None = None  # replay: CSV with columns task,truth
    predictions: str | None = None  # next: a predict.py predictions.csv
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    task: str = checked("binary", choices=TASKS)
    run_name: str = "label"
    seed: int = 0


def register_configs() -> None:
    """Register every schema; called by the entry points before Hydra composes."""
    cs = ConfigStore.instance()
    cs.store(name="base_train", node=TrainConfig)
    cs.store(name="base_evaluate", node=EvaluateConfig)
    cs.store(name="base_label", node=LabelConfig)
    for package in (
        data_schemas,
        crowd_schemas,
        augment_schemas,
        model_schemas,
        training_schemas,
        report_schemas,
        inference_schemas,
        active_schemas,
    ):
        package.register(cs)
    cs.store(group="optim", name="base_optim", node=OptimConfig)
