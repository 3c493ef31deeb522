"""The epochs of a run and what follows them: validate and checkpoint each epoch, then calibrate
the best checkpoint, score it on test and choose the operating point."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import torch
from omegaconf import DictConfig

from crowdsign.data.imageset import Splits
from crowdsign.runtime.checkpoint import load_checkpoint
from crowdsign.runtime.device import Precision
from crowdsign.runtime.run_dir import RunDir
from crowdsign.runtime.scoring import evaluate_split
from crowdsign.runtime.tensorboard import RunLogger
from crowdsign.training.calibration import calibrate_best
from crowdsign.training.distributed import DistInfo
from crowdsign.training.fitting import Fitting, Progress
from crowdsign.training.loop import StepLoss, train_one_epoch
from crowdsign.training.operating_point import operating_point
from crowdsign.training.selection import SelectionSet

log = logging.getLogger(__name__)

Save = Callable[[dict[str, Any], Any], None]


@dataclass(frozen=True)
class EpochContext:
    """What every epoch reads: where to write, how to run, what selects the best epoch."""

    run: RunDir
    dist: DistInfo
    precision: Precision
    logger: RunLogger
    save: Save  # save_checkpoint on rank 0, a no-op elsewhere
    selection: SelectionSet
    class_names: tuple[str, ...]
    resolved: dict[str, Any]  # the resolved config, stored in every checkpoint
    epochs: int  # trainer.epochs


def _on_step(cfg: DictConfig, fitting: Fitting, progress: Progress, logger: RunLogger):
    """The per-step callback: count steps, log loss and lr, the first augmented batch."""

    def on_step(step: int, loss: torch.Tensor, images: torch.Tensor) -> None:
        progress.global_step += 1
        if fitting.ema is not None:
            fitting.ema.update(fitting.model)
        if progress.global_step % cfg.trainer.log_every == 0:
            lr = fitting.optimizer.param_groups[0]["lr"]
            logger.scalars({"train/loss_step": loss.item(), "lr": lr}, progress.global_step)
        if progress.global_step == 1:
            logger.image_grid("train/augmented", images, progress.global_step)

    return on_step


def _train_epoch(cfg: DictConfig, fitting: Fitting, progress: Progress, ctx: EpochContext, epoch):
    max_steps = fitting.max_steps
    return train_one_epoch(
        fitting.step_model,
        fitting.loader,
        fitting.optimizer,
        fitting.scheduler,
        precision=ctx.precision,
        loss=StepLoss(
            label_smoothing=cfg.robust.label_smoothing,
            class_weights=fitting.class_weights,
            gce_q=cfg.robust.gce_q,
            grad_clip=cfg.trainer.grad_clip,
            criterion=fitting.crowd_loss,
            mixup_alpha=cfg.trainer.mixup_alpha,
        ),
        max_steps=None if max_steps is None else max_steps - progress.global_step,
        on_step=_on_step(cfg, fitting, progress, ctx.logger),
        progress=cfg.trainer.progress and ctx.dist.is_main,
        desc=f"epoch {epoch + 1}/{cfg.trainer.epochs}",
    )


def _record(epoch: int, stats: dict, val: dict, progress: Progress, ctx: EpochContext) -> None:
    """Log and keep one epoch's train and validation figures."""
    ctx.logger.scalars(stats, epoch + 1, prefix="train/")
    ctx.logger.scalars(val, epoch + 1, prefix="val/")
    progress.history.append(
        {
            "epoch": epoch + 1,
            **{f"train/{k}": v for k, v in stats.items()},
            **{f"val/{k}": v for k, v in val.items()},
        }
    )
    if ctx.dist.is_main:
        log.info(
            "epoch %d/%d  loss %.4f  val acc %.4f  bal acc %.4f  (%.0f img/s)",
            epoch + 1,
            ctx.epochs,
            stats["loss"],
            val["accuracy"],
            val["balanced_accuracy"],
            stats["images_per_s"] * ctx.dist.world_size,
        )


def _checkpoint(
    epoch: int,
    val: dict,
    confusion: torch.Tensor,
    fitting: Fitting,
    progress: Progress,
    ctx: EpochContext,
) -> None:
    """``last.pt`` every epoch; ``best.pt`` (and the confusion figure) when it improved."""
    state = {
        "model": fitting.eval_model.state_dict(),  # the weight average when there is one
        "optimizer": fitting.optimizer.state_dict(),
        "scheduler": fitting.scheduler.state_dict(),
        "epoch": epoch + 1,
        "global_step": progress.global_step,
        "best_metric": progress.best,
        "history": progress.history,
        "config": ctx.resolved,
        "class_names": list(ctx.class_names),
        "torch_rng": torch.get_rng_state(),
    }
    if fitting.crowd_loss is not None:  # the workers' confusions and the EM's state
        state["crowd_loss"] = fitting.crowd_loss.state_dict()
    if fitting.ema is not None:  # resume needs the trained weights and the average's state
        state.update(trained_model=fitting.model.state_dict(), ema=fitting.ema.state_dict())
    if val["balanced_accuracy"] > progress.best:
        progress.best = state["best_metric"] = val["balanced_accuracy"]
        # drawn on improvement only: a figure every epoch costs ~30% of a small run
        ctx.logger.confusion("val/confusion", confusion, ctx.class_names, epoch + 1)
        ctx.save(state, ctx.run.best)
    ctx.save(state, ctx.run.last)


def run_epochs(cfg: DictConfig, fitting: Fitting, progress: Progress, ctx: EpochContext) -> float:
    """Train from ``progress.first_epoch`` to ``trainer.epochs`` (or ``trainer.max_steps``);
    return the seconds it took."""
    started = time.perf_counter()
    for epoch in range(progress.first_epoch, ctx.epochs):
        if fitting.max_steps is not None and progress.global_step >= fitting.max_steps:
            break
        fitting.sampler.set_epoch(epoch)
        stats = _train_epoch(cfg, fitting, progress, ctx, epoch)
        # every rank scores val (cheap, identical weights) so all agree on "best"
        val, confusion, _ = evaluate_split(
            fitting.eval_model,
            ctx.selection.images,
            precision=ctx.precision,
            batch_size=cfg.trainer.eval_batch_size,
            preset=fitting.eval_in,
            labels=ctx.selection.labels,
        )
        _record(epoch, stats, val, progress, ctx)
        _checkpoint(epoch, val, confusion, fitting, progress, ctx)
    return time.perf_counter() - started


@dataclass
class Tested:
    """The best checkpoint, calibrated and scored on test."""

    metrics: dict[str, float]  # test/*, val/threshold, ... (flat)
    test: dict[str, float]  # the test metrics without prefix
    confusion: torch.Tensor  # (C, C) test confusion, rows = truth
    best_state: dict[str, Any]  # best.pt as finally written


def score_best(cfg: DictConfig, fitting: Fitting, splits: Splits, ctx: EpochContext) -> Tested:
    """Load ``best.pt``, fit its temperature on the selection labels, score it on test and pick
    the stop threshold for ``trainer.target_recall`` on the selection set."""
    device = ctx.precision.device
    best_state = load_checkpoint(ctx.run.best, map_location=device)
    fitting.model.load_state_dict(best_state["model"])
    scaled = calibrate_best(  # fits best.pt's temperature on the selection labels, rewrites it
        fitting.model,
        best_state,
        # the selection labels stand in for truth: calibration never reads the truth either
        replace(ctx.selection.images, truth=ctx.selection.labels),
        path=ctx.run.best,
        save=ctx.save,
        preset=fitting.eval_in,
        precision=ctx.precision,
        batch_size=cfg.trainer.eval_batch_size,
        label_noise=ctx.selection.label_noise,
    )
    test, confusion, test_probs = evaluate_split(
        scaled,
        splits.test,
        precision=ctx.precision,
        batch_size=cfg.trainer.eval_batch_size,
        preset=fitting.eval_in,
    )
    metrics: dict[str, float] = {f"test/{k}": v for k, v in test.items()}
    # the stop threshold for trainer.target_recall, chosen on the selection set
    metrics.update(
        operating_point(
            cfg, scaled, ctx.selection, splits.test, test_probs, ctx.precision, fitting.eval_in
        )
    )
    if "val/threshold" in metrics:
        ctx.save({**best_state, "threshold": metrics["val/threshold"]}, ctx.run.best)
    return Tested(metrics, test, confusion, best_state)
