"""The run's hooks for learning from raw answers (``robust=crowd_layer|trace_reg|consensus``).

``train(cfg)`` calls three things from here and nothing else changes:

- :func:`refine_targets` — with a ``robust.consensus`` node, cross-fitted CROWDLAB-style soft targets
  replace the aggregated ones (and the consensus report is written);
- :func:`build_crowd_loss` — with a ``robust.crowd_loss`` node, a per-worker confusion loss the loop
  uses instead of cross-entropy; the loader then hands out image positions as targets;
- :func:`worker_param_groups` — the loss's worker parameters, for the optimizer.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch import nn
from torch.utils.data import DataLoader

from crowdsign.augment import train_preset
from crowdsign.data.imageset import ImageSet
from crowdsign.errors import ConfigError
from crowdsign.runtime.device import Precision
from crowdsign.runtime.scoring import predict_proba
from crowdsign.training.batches import AugmentedImages, EpochSampler
from crowdsign.training.consensus import (
    ConsensusConfig,
    cross_fit,
    crowdlab_consensus,
    fold_ids,
    write_consensus_report,
)
from crowdsign.training.crowd_em import prior_shares
from crowdsign.training.crowd_losses import (
    WorkerConfusionLoss,
    sparse_answers,
    worker_param_group,
)
from crowdsign.training.loop import train_one_epoch
from crowdsign.training.targets import Targets

log = logging.getLogger(__name__)


def build_crowd_loss(
    cfg: DictConfig, targets: Targets, selection_labels: np.ndarray | None = None
) -> WorkerConfusionLoss | None:
    """The configured per-worker confusion loss over the answered images, or None.

    ``selection_labels``: the selection set's labels, whose class shares ``class_prior:
    selection`` asks for."""
    node = cfg.robust.crowd_loss
    if node is None:
        return None
    n_classes = targets.soft.shape[1]
    extra = {}
    if "class_prior" in node:
        extra["class_prior"] = class_prior(node.class_prior, n_classes, selection_labels)
    answers = sparse_answers(targets.codes, targets.answered)
    return instantiate(node, **extra)(
        answers=answers,
        n_workers=targets.codes.n_workers,
        n_classes=n_classes,
        initial=torch.as_tensor(targets.soft[targets.answered]),  # warm-up targets, first estimate
        epochs=int(cfg.trainer.epochs),
    )


def class_prior(
    setting: Any, n_classes: int, selection_labels: np.ndarray | None
) -> list[float] | None:
    """``robust.crowd_loss.class_prior``: null (off), ``selection`` (the class shares of the
    selection set's labels, one pseudo-count each; off when it has none), ``uniform``, or a
    list of C positive shares. Anything else is a :class:`ConfigError` naming the key."""
    if setting is None or setting == "none":
        return None
    if setting == "uniform":
        return [1.0 / n_classes] * n_classes
    if setting == "selection":
        if selection_labels is None or len(selection_labels) == 0:
            log.warning("class_prior=selection: the selection set has no labels; no class prior")
            return None
        counts = np.bincount(np.asarray(selection_labels), minlength=n_classes) + 1.0
        return (counts / counts.sum()).tolist()
    try:
        prior_shares(setting, n_classes)  # the loss's own check
    except (TypeError, ValueError):
        raise ConfigError(
            f"robust.crowd_loss.class_prior: got {setting!r}; use null, selection, uniform or "
            f"a list of {n_classes} positive class shares"
        ) from None
    return [float(v) for v in setting]


def worker_param_groups(loss: nn.Module | None, cfg: DictConfig) -> list[dict]:
    """``[]`` or the one optimizer group of the loss's worker parameters."""
    if loss is None or not list(loss.parameters()):  # crowd_em's workers are buffers
        return []
    return [worker_param_group(loss, float(cfg.optim.optimizer.lr))]


def fit_classifier(
    cfg: DictConfig,
    images: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    precision: Precision,
    seed: int,
) -> nn.Module:
    """A fresh ``cfg.model`` trained on ``images`` with ``(N, C)`` class-probability targets
    ``y``; weight decay on conv/linear weights only, as in the run."""
    gen_seed = int(np.random.SeedSequence([seed, 7]).generate_state(1)[0])
    with torch.random.fork_rng(devices=[]):  # model init draws from torch's generator
        torch.manual_seed(gen_seed)
        model = instantiate(cfg.model, num_classes=y.shape[1]).to(precision.device)
    transform = train_preset(**cfg.augment, image_size=int(images.shape[1]))
    dataset = AugmentedImages(images, y, transform, seed=gen_seed)
    sampler = EpochSampler(len(dataset), seed=gen_seed)
    batch = min(cfg.trainer.batch_size, len(dataset))
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler, drop_last=True)
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = instantiate(cfg.optim.optimizer)(groups)
    scheduler = instantiate(cfg.optim.scheduler)(optimizer, total_steps=epochs * len(loader))
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        train_one_epoch(model, loader, optimizer, scheduler, precision=precision)
    return model


def refine_targets(
    cfg: DictConfig, train: ImageSet, targets: Targets, precision: Precision, out_dir: Path | None
) -> Targets:
    """With a ``robust.consensus`` node: cross-fitted consensus targets (soft); else ``targets``."""
    node = cfg.robust.consensus
    if node is None:
        return targets
    conf: ConsensusConfig = instantiate(node)
    keep = np.flatnonzero(targets.answered)
    images = train.images[keep]
    n_classes = targets.soft.shape[1]
    hard = np.eye(n_classes, dtype=np.float32)[targets.hard[keep]]
    y = targets.soft[keep] if cfg.robust.target == "soft" else hard
    epochs = max(1, round(cfg.trainer.epochs * conf.epochs_fraction))

    def fit_predict(fit_idx: np.ndarray, held_idx: np.ndarray) -> np.ndarray:
        log.info("consensus: fold model on %d images, predicting %d", len(fit_idx), len(held_idx))
        model = fit_classifier(
            cfg, images[fit_idx], y[fit_idx], epochs=epochs, precision=precision, seed=cfg.seed
        )
        probs = predict_proba(
            model, images[held_idx], precision=precision, batch_size=cfg.trainer.eval_batch_size
        )
        return probs.double().numpy()

    folds = fold_ids(train.group[keep], conf.folds, cfg.seed)
    oof = np.full((len(train), targets.soft.shape[1]), 1.0 / targets.soft.shape[1])
    oof[keep] = cross_fit(folds, fit_predict)
    result = crowdlab_consensus(
        targets.codes, targets.hard, oof, conf.min_weight, conf.log_pool, conf.baseline
    )
    if out_dir is not None:
        write_consensus_report(out_dir, targets.codes, result, list(train.class_names))
    return dataclasses.replace(targets, hard=result.label.astype(np.int64), soft=result.posterior)
