"""The ``acquire`` hook: buy the train images' answers with a strategy, a model in the loop.

``train(cfg)`` calls :func:`acquire_answers` on the crowd it drew. Without ``cfg.acquire`` the
crowd passes through. With it, the crowd (a simulated pool that labeled every image
``crowd.labels_per_image`` times) is the market: :func:`crowdsign.crowd.active.run_loop`
reveals ``acquire.answers_per_task`` answers per image on average, round by round: label →
aggregate → (train a model, score every image with it) → request more. The in-loop models are
cross-fitted (``acquire.folds``): each image is scored by a model that never saw its labels,
as ActiveLab does. The run dir gets ``acquire/history.csv`` (label accuracy per round) and
``acquire/acquire.json`` (answers, cost at the configured pay and at the fair wage).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch.utils.data import DataLoader

from crowdsign.augment import train_preset
from crowdsign.crowd.active import Assessment, LoopSetup, ReplayOracle, run_loop
from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.cost import as_cost_model, price
from crowdsign.data.imageset import ImageSet, Splits
from crowdsign.data.summary import LoadSummary
from crowdsign.runtime.device import Precision, resolve_device, resolve_precision
from crowdsign.runtime.scoring import predict_proba
from crowdsign.training.batches import AugmentedImages, EpochSampler
from crowdsign.training.loop import train_one_epoch

log = logging.getLogger(__name__)


def _fit_predict(
    cfg: DictConfig, images: ImageSet, train: np.ndarray, y: np.ndarray, score: np.ndarray
) -> np.ndarray:
    """Train ``cfg.model`` for ``acquire.epochs`` on ``images[train]`` with labels ``y``;
    return class probabilities ``(len(score), K)`` of ``images[score]``."""
    device = resolve_device(cfg.trainer.device)
    precision: Precision = resolve_precision(cfg.trainer, device)
    model = instantiate(cfg.model, num_classes=images.num_classes).to(device)
    batch = max(2, min(cfg.trainer.batch_size, len(train)))
    data = AugmentedImages(
        images.images[train],
        y,
        train_preset(**cfg.augment, image_size=images.image_size),
        seed=cfg.seed,
    )
    sampler = EpochSampler(len(data), seed=cfg.seed)
    loader = DataLoader(data, batch_size=batch, sampler=sampler, drop_last=True)
    epochs = cfg.acquire.epochs
    optimizer = instantiate(cfg.optim.optimizer)(model.parameters())
    scheduler = instantiate(cfg.optim.scheduler)(optimizer, total_steps=epochs * len(loader))
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        train_one_epoch(model, loader, optimizer, scheduler, precision=precision)
    probs = predict_proba(
        model, images.images[score], precision=precision, batch_size=cfg.trainer.eval_batch_size
    )
    return probs.numpy()


def _refresh(cfg: DictConfig, images: ImageSet):
    """``(answers, assessment) -> (T, K)`` cross-fitted model probabilities."""
    folds = np.random.default_rng(cfg.acquire.seed).permutation(len(images)) % cfg.acquire.folds

    def refresh(answers: pd.DataFrame, a: Assessment) -> np.ndarray:
        probs = np.full((len(images), images.num_classes), 1.0 / images.num_classes)
        answered = a.n_answers > 0
        # the in-loop models draw their weights from a forked RNG: the final model's
        # initialisation is the same whether or not a model was in the loop
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed + len(answers))
            for f in range(cfg.acquire.folds):
                train = np.flatnonzero(answered & (folds != f))
                score = np.flatnonzero(folds == f)
                if len(train) >= 2 and len(score):
                    probs[score] = _fit_predict(cfg, images, train, a.labels[train], score)
        return probs

    return refresh


def _checkpoints(n: int, per_task: float, rounds: int) -> list[int]:
    """Answer counts at the end of each round: one answer per image, then equal steps."""
    if per_task < 1:
        raise ValueError(f"acquire.answers_per_task={per_task} is below one answer per image")
    steps = np.linspace(1.0, per_task, max(rounds, 1) + 1) if per_task > 1 else [1.0]
    return sorted({int(round(n * s)) for s in steps})


def acquire_answers(cfg: DictConfig, splits: Splits, crowd: CrowdLabels) -> CrowdLabels:
    """The answers training gets: ``crowd`` as is, or those bought by ``cfg.acquire``."""
    spec = cfg.get("acquire")
    if spec is None:
        return crowd
    images = splits.train
    setup = LoopSetup(
        tasks=np.asarray(images.image_id, dtype=object),
        classes=np.asarray(images.class_names, dtype=object),
        make_estimator=lambda: instantiate(cfg.aggregate.estimator),
        truth=images.truth,
        refresh=_refresh(cfg, images) if spec.model_in_loop else None,
    )
    strategy = instantiate(spec.strategy)
    oracle = ReplayOracle(crowd.answers, setup.tasks, seed=spec.seed)
    result = run_loop(
        setup,
        strategy,
        oracle,
        checkpoints=_checkpoints(len(images), spec.answers_per_task, spec.rounds),
        batch_size=max(1, round(spec.batch_fraction * len(images))),
        seed=spec.seed,
    )
    _write(Path(cfg.paths.output_dir) / "acquire", result, crowd, type(strategy).__name__, spec)
    summary = LoadSummary(
        source=f"{crowd.summary.source}; {len(result.answers)} of {oracle.n_available} answers "
        f"bought by {type(strategy).__name__}"
    )
    summary.read = summary.kept = len(result.answers)
    return CrowdLabels(
        result.answers, summary, workers=crowd.workers, cost=crowd.cost, gold=crowd.gold
    )


def _write(out: Path, result, crowd: CrowdLabels, strategy: str, spec: DictConfig) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result.history.to_csv(out / "history.csv", index=False)
    report = price(result.answers, as_cost_model(crowd.cost))
    last = result.history.iloc[-1]
    facts = {
        "strategy": strategy,
        "answers_per_task_budget": float(spec.answers_per_task),
        "answers": int(len(result.answers)),
        "answers_per_task": float(last["answers"]) / max(result.last.tasks.size, 1),
        "cost": report.total,
        "fair_cost": report.fair_total,
        "label_accuracy": float(last.get("label_accuracy", float("nan"))),
        "settled": int(last["settled"]),
        "notes": result.notes,
    }
    (out / "acquire.json").write_text(json.dumps(facts, indent=2))
    log.info("acquire: %s", {k: v for k, v in facts.items() if k != "notes"})
