"""The stages of a training run: set up, data and targets, fit (epochs, calibration, test).

:func:`crowdsign.pipeline.train` calls them in order and writes the run's reports after them;
under ``torchrun`` every rank runs every stage, and rank 0 alone writes files.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.data.imageset import Splits
from crowdsign.data.load import load_splits
from crowdsign.data.splits import validation_set
from crowdsign.runtime.checkpoint import save_checkpoint
from crowdsign.runtime.device import (
    Precision,
    configure_threads,
    resolve_device,
    resolve_precision,
    seed_everything,
)
from crowdsign.runtime.run_dir import RunDir
from crowdsign.runtime.tensorboard import RunLogger
from crowdsign.training.acquire import acquire_answers
from crowdsign.training.crowd_outputs import write_crowd_outputs
from crowdsign.training.crowd_training import refine_targets
from crowdsign.training.distributed import DistInfo, barrier, broadcast, device_for
from crowdsign.training.epochs import EpochContext, Tested, run_epochs, score_best
from crowdsign.training.fitting import build_fitting, resume
from crowdsign.training.selection import SelectionSet, crowd_and_selection
from crowdsign.training.targets import Targets, crowd_targets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSetup:
    """Where this process runs and writes: the run dir, its rank, device and precision."""

    run: RunDir
    dist: DistInfo
    device: torch.device
    precision: Precision
    started: float  # time.perf_counter() when the run started


@dataclass(frozen=True)
class RunData:
    """The images, the crowd's answers and the targets made from them."""

    splits: Splits
    crowd: CrowdLabels
    selection: SelectionSet  # the images and labels that pick the best epoch
    targets: Targets
    label_noise: float | None  # share of wrong train targets (None: no truth to tell)
    seconds: float  # time to load, answer and aggregate


@dataclass(frozen=True)
class Fitted:
    """What the fit produced: the final metrics and what the reports are made of."""

    metrics: dict[str, float]
    history: list[dict[str, float]]
    tested: Tested
    resolved: dict[str, Any]  # the resolved config


def setup_run(cfg: DictConfig, dist: DistInfo) -> RunSetup:
    """One run dir for all ranks; device, threads, precision and seeds from ``cfg.trainer``."""
    run = RunDir(Path(broadcast(str(cfg.paths.output_dir), dist)))
    device = device_for(dist, resolve_device(cfg.trainer.device))
    configure_threads(cfg.trainer.threads, device)
    precision = resolve_precision(cfg.trainer, device)
    seed_everything(cfg.trainer.seed)
    return RunSetup(run, dist, device, precision, time.perf_counter())


def prepare_data(cfg: DictConfig, setup: RunSetup) -> RunData:
    """Load the splits (rank 0 renders/caches first), get the crowd's answers, aggregate."""
    dist = setup.dist
    if not dist.is_main:
        barrier(dist)  # wait for rank 0 to render/cache the data
    splits: Splits = load_splits(cfg.data)
    if dist.is_main:
        barrier(dist)
    val_pool = validation_set(
        splits.val,
        cfg.trainer.limit_val_batches * cfg.trainer.eval_batch_size,
        cfg.data.subset_seed,
    )
    crowd, selection = crowd_and_selection(cfg, splits.train, val_pool)  # no truth by default
    crowd = acquire_answers(cfg, splits, crowd)
    targets = crowd_targets(  # with the crowd's gold answers; flagged workers out if asked
        splits.train,
        crowd,
        lambda: instantiate(cfg.aggregate.estimator),
        exclude_flagged=cfg.aggregate.exclude_flagged,
    )
    crowd_dir = setup.run.crowd if dist.is_main else None
    targets = refine_targets(cfg, splits.train, targets, setup.precision, crowd_dir)
    label_noise = targets.noise_rate(splits.train.truth)
    seconds = time.perf_counter() - setup.started
    return RunData(splits, crowd, selection, targets, label_noise, seconds)


def log_inputs(setup: RunSetup, data: RunData, logger: RunLogger) -> None:
    """Rank 0: the ``crowd/`` reports and the load summary of a real source."""
    crowd_md = write_crowd_outputs(setup.run.crowd, data.splits.train, data.crowd, data.targets)
    for name, md in crowd_md.items():
        logger.text(f"crowd/{name}", md)
    if data.splits.summary is not None:  # files a real source read, kept and skipped
        setup.run.write_json(setup.run.data_summary, data.splits.summary.to_dict(), indent=None)
        logger.text("data/load_summary", data.splits.summary.to_markdown())


def fit(cfg: DictConfig, setup: RunSetup, data: RunData, logger: RunLogger) -> Fitted:
    """Train on the crowd targets, select on the selection set, calibrate and test the best."""
    splits = data.splits
    fitting = build_fitting(
        cfg, splits.train, data.targets, setup.device, setup.dist, data.selection.labels
    )
    resolved = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    progress = resume(cfg, fitting, setup.run, setup.device)
    ctx = EpochContext(
        run=setup.run,
        dist=setup.dist,
        precision=setup.precision,
        logger=logger,
        save=save_checkpoint if setup.dist.is_main else (lambda state, path: None),
        selection=data.selection,
        class_names=splits.class_names,
        resolved=resolved,
        epochs=cfg.trainer.epochs,
    )
    train_seconds = run_epochs(cfg, fitting, progress, ctx)
    if fitting.crowd_loss is not None and setup.dist.is_main:
        codes = data.targets.codes
        fitting.crowd_loss.write_report(setup.run.crowd, codes.worker_ids, splits.class_names)
    barrier(setup.dist)  # rank 0 has written best.pt
    tested = score_best(cfg, fitting, splits, ctx)
    metrics = tested.metrics
    metrics["val/best_balanced_accuracy"] = progress.best  # against the selection labels
    metrics["selection/images"] = float(len(data.selection.images))
    metrics["val/temperature"] = tested.best_state["temperature"]
    noise = data.label_noise
    metrics["train/label_noise"] = float("nan") if noise is None else noise
    metrics["time/data_s"] = data.seconds
    metrics["time/train_s"] = train_seconds
    metrics["time/total_s"] = time.perf_counter() - setup.started
    return Fitted(metrics, progress.history, tested, resolved)
