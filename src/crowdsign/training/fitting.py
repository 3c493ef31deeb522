"""What the epochs work on: the model, its batches, loss, optimizer and schedule, built from the
config in the order the RNGs expect, and the progress a resumed run starts from."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from crowdsign.augment import Preset, eval_preset, train_preset
from crowdsign.data.balance import balanced_sampler_weights
from crowdsign.data.balance import class_weights as class_weights_for
from crowdsign.data.imageset import ImageSet
from crowdsign.runtime.checkpoint import load_checkpoint
from crowdsign.runtime.run_dir import RunDir
from crowdsign.training.batches import AugmentedImages, EpochSampler
from crowdsign.training.crowd_training import build_crowd_loss, worker_param_groups
from crowdsign.training.device_batches import DeviceBatches, device_batches
from crowdsign.training.distributed import DistInfo
from crowdsign.training.ema import WeightAverage, weight_average
from crowdsign.training.targets import Targets

log = logging.getLogger(__name__)

BALANCE = ("none", "weights", "sampler")
# keys whose change does not change the result, so resuming with them changed is fine
RESUME_IGNORED = (
    "resume",
    "trainer.progress",
    "trainer.loader_workers",
    "trainer.threads",
    "paths",
)
# keys of runs saved before issue 14: dead (debug, tags, experiment) or renamed (num_workers)
RESUME_IGNORED += ("debug", "tags", "experiment", "trainer.num_workers")


def param_groups(model: nn.Module) -> list[dict[str, Any]]:
    """Weight decay on conv/linear weights only, not on norms and biases."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    return [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]


def _check_resumable(saved: dict, cfg: DictConfig) -> None:
    def strip(c: dict) -> dict:
        c = json.loads(json.dumps(c))
        for key in RESUME_IGNORED:
            *parents, leaf = key.split(".")
            node = c
            for p in parents:
                node = node.get(p, {})
            node.pop(leaf, None)
        return c

    before, now = strip(saved), strip(OmegaConf.to_container(cfg, resolve=True, enum_to_str=True))
    if before != now:
        diff = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
        raise ValueError(
            f"resume=true but the config differs from the checkpoint's in {diff}; "
            "resume with the same config (or start a new run)"
        )


def build_loader(
    train: ImageSet, targets: Targets, cfg: DictConfig, device: torch.device, dist: DistInfo
) -> tuple[DataLoader | DeviceBatches, EpochSampler]:
    """Augmented batches of the answered train images; ``trainer.batch_size`` is global."""
    if cfg.robust.target not in ("hard", "soft"):
        raise ValueError(f"robust.target must be hard or soft, got {cfg.robust.target!r}")
    if not 0.0 <= cfg.robust.gce_q <= 1.0:
        raise ValueError(f"robust.gce_q must be in [0, 1], got {cfg.robust.gce_q}")
    if cfg.trainer.balance not in BALANCE:
        raise ValueError(f"trainer.balance must be one of {BALANCE}, got {cfg.trainer.balance!r}")
    if cfg.trainer.batch_size % dist.world_size:
        raise ValueError(
            f"trainer.batch_size={cfg.trainer.batch_size} must divide by the "
            f"{dist.world_size} processes"
        )
    keep = np.flatnonzero(targets.answered)
    y = targets.soft[keep] if cfg.robust.target == "soft" else targets.hard[keep]
    if cfg.robust.crowd_loss is not None:  # a crowd loss gathers each image's answers itself
        y = np.arange(len(keep))
    transform = train_preset(**cfg.augment, image_size=train.image_size)
    images = train.images if len(keep) == len(train) else train.images[keep]
    dataset = AugmentedImages(images, y, transform, seed=cfg.trainer.seed)
    weights = None
    if cfg.trainer.balance == "sampler":
        weights = torch.from_numpy(balanced_sampler_weights(targets.hard[keep])).double()
    sampler = EpochSampler(
        len(dataset),
        seed=cfg.trainer.seed,
        rank=dist.rank,
        world_size=dist.world_size,
        weights=weights,
    )
    if cfg.trainer.data_on_device:  # images and augmentation on the device, no loader workers
        return device_batches(images, y, cfg, train.image_size, sampler, device, dist), sampler
    workers = cfg.trainer.loader_workers
    loader = DataLoader(
        dataset,
        batch_size=cfg.trainer.batch_size // dist.world_size,
        sampler=sampler,
        drop_last=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=device.type == "cuda",
        prefetch_factor=4 if workers > 0 else None,
    )
    return loader, sampler


@dataclass
class Fitting:
    """The parts one run's epochs use (``step_model`` wraps ``model`` in DDP / compile)."""

    model: nn.Module
    step_model: nn.Module
    loader: DataLoader | DeviceBatches
    sampler: EpochSampler
    crowd_loss: nn.Module | None
    optimizer: torch.optim.Optimizer
    scheduler: Any
    class_weights: torch.Tensor | None
    eval_in: Preset  # the eval preset: validation, calibration and test see images through it
    max_steps: int | None
    ema: WeightAverage | None = None  # trainer.ema_decay > 0: the average of the weights

    @property
    def eval_model(self) -> nn.Module:
        """What is validated and shipped: the weight average when there is one."""
        return self.model if self.ema is None else self.ema.module


def build_fitting(
    cfg: DictConfig,
    train: ImageSet,
    targets: Targets,
    device: torch.device,
    dist: DistInfo,
    selection_labels: np.ndarray | None = None,
) -> Fitting:
    """Model, batches, crowd loss, optimizer and schedule for training on ``train``
    (``selection_labels``: the selection set's, for a crowd loss's ``class_prior``)."""
    model = instantiate(cfg.model, num_classes=train.num_classes).to(device)
    if cfg.trainer.channels_last and device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    loader, sampler = build_loader(train, targets, cfg, device, dist)
    crowd_loss = build_crowd_loss(cfg, targets, selection_labels)
    if crowd_loss is not None:
        crowd_loss = crowd_loss.to(device)
    max_steps = cfg.trainer.max_steps or None
    total_steps = cfg.trainer.epochs * len(loader)
    if max_steps is not None:
        total_steps = min(max_steps, total_steps)
    groups = param_groups(model) + worker_param_groups(crowd_loss, cfg)
    optimizer = instantiate(cfg.optim.optimizer)(groups)
    scheduler = instantiate(cfg.optim.scheduler)(optimizer, total_steps=total_steps)
    class_weights = None
    if cfg.trainer.balance == "weights":  # weights from the targets trained on, not truth
        hard = targets.hard[targets.answered]
        class_weights = torch.as_tensor(class_weights_for(hard, train.num_classes), device=device)
    step_model: nn.Module = model
    if dist.enabled:
        step_model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if cfg.trainer.compile and device.type == "cuda":  # CPU runs stay eager
        step_model = torch.compile(step_model)
    eval_in = eval_preset(image_size=train.image_size, contrast=cfg.augment.contrast)
    return Fitting(
        model,
        step_model,
        loader,
        sampler,
        crowd_loss,
        optimizer,
        scheduler,
        class_weights,
        eval_in,
        max_steps,
        weight_average(model, cfg.trainer.ema_decay),
    )


@dataclass
class Progress:
    """Where the epochs stand: the next epoch, optimizer steps so far, best selection score."""

    first_epoch: int = 0
    global_step: int = 0
    best: float = -math.inf
    history: list[dict[str, float]] = field(default_factory=list)


def resume(cfg: DictConfig, fitting: Fitting, run: RunDir, device: torch.device) -> Progress:
    """A fresh start, or (``resume=true``) the state of ``checkpoints/last.pt`` restored."""
    if not cfg.resume:
        return Progress()
    state = load_checkpoint(run.last, map_location=device)
    _check_resumable(state["config"], cfg)
    fitting.model.load_state_dict(state["trained_model"] if fitting.ema else state["model"])
    if fitting.ema is not None:
        fitting.ema.load_state_dict(state["ema"])
    fitting.optimizer.load_state_dict(state["optimizer"])
    fitting.scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    if fitting.crowd_loss is not None:
        fitting.crowd_loss.load_state_dict(state["crowd_loss"])
    log.info("resumed from %s at epoch %d", run.last, state["epoch"])
    return Progress(state["epoch"], state["global_step"], state["best_metric"], state["history"])
