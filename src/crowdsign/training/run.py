"""``train(cfg)``: data → crowd → targets → model → epochs → checkpoints, metrics, reports."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from crowdsign.augment import eval_preset, train_preset
from crowdsign.data.balance import balanced_sampler_weights
from crowdsign.data.balance import class_weights as class_weights_for
from crowdsign.data.imageset import ImageSet, Splits
from crowdsign.data.load import load_splits
from crowdsign.data.splits import validation_set
from crowdsign.evaluation.scoring import evaluate_split
from crowdsign.training.acquire import acquire_answers
from crowdsign.training.batches import AugmentedImages, EpochSampler
from crowdsign.training.calibration import calibrate_best
from crowdsign.training.checkpoint import load_checkpoint, save_checkpoint
from crowdsign.training.crowd_outputs import write_crowd_outputs
from crowdsign.training.crowd_training import (
    build_crowd_loss,
    refine_targets,
    worker_param_groups,
)
from crowdsign.training.device_batches import DeviceBatches, device_batches
from crowdsign.training.distributed import (
    DistInfo,
    barrier,
    broadcast,
    cleanup,
    device_for,
    init_distributed,
)
from crowdsign.training.ema import weight_average
from crowdsign.training.loop import train_one_epoch
from crowdsign.training.operating_point import operating_point
from crowdsign.training.outputs import write_run_outputs
from crowdsign.training.runtime import (
    configure_threads,
    resolve_device,
    resolve_precision,
    seed_everything,
)
from crowdsign.training.selection import crowd_and_selection
from crowdsign.training.targets import Targets, crowd_targets
from crowdsign.training.tensorboard import RunLogger

log = logging.getLogger(__name__)

# keys whose change does not change the result, so resuming with them changed is fine
BALANCE = ("none", "weights", "sampler")
RESUME_IGNORED = ("resume", "trainer.progress", "trainer.num_workers", "trainer.threads", "paths")


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


def _build_loader(
    train: ImageSet, targets: Targets, cfg: DictConfig, device: torch.device, dist: DistInfo
) -> tuple[DataLoader | DeviceBatches, EpochSampler]:
    """Augmented batches of the answered train images; ``trainer.batch_size`` is global."""
    if cfg.aggregate.target not in ("hard", "soft"):
        raise ValueError(f"aggregate.target must be hard or soft, got {cfg.aggregate.target!r}")
    if not 0.0 <= cfg.trainer.gce_q <= 1.0:
        raise ValueError(f"trainer.gce_q must be in [0, 1], got {cfg.trainer.gce_q}")
    if cfg.trainer.balance not in BALANCE:
        raise ValueError(f"trainer.balance must be one of {BALANCE}, got {cfg.trainer.balance!r}")
    if cfg.trainer.batch_size % dist.world_size:
        raise ValueError(
            f"trainer.batch_size={cfg.trainer.batch_size} must divide by the "
            f"{dist.world_size} processes"
        )
    keep = np.flatnonzero(targets.answered)
    y = targets.soft[keep] if cfg.aggregate.target == "soft" else targets.hard[keep]
    if cfg.get("crowd_loss") is not None:  # a crowd loss gathers each image's answers itself
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
    workers = cfg.trainer.num_workers
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


def train(cfg: DictConfig) -> dict[str, float]:
    """Train the configured model on crowd targets; return the final metrics (flat dict).

    Under ``torchrun`` each process trains on its shard of every batch (DDP, gloo on CPU, NCCL
    on GPUs); rank 0 alone renders the data first, logs, and writes checkpoints and reports.
    """
    dist = init_distributed(cfg.trainer.device)
    try:
        return _train(cfg, dist)
    finally:
        cleanup(dist)


def _train(cfg: DictConfig, dist: DistInfo) -> dict[str, float]:
    out = Path(broadcast(str(cfg.paths.output_dir), dist))  # one run dir for all ranks
    ckpt_dir = out / "checkpoints"
    device = device_for(dist, resolve_device(cfg.trainer.device))
    configure_threads(cfg.trainer.threads, device)
    precision = resolve_precision(cfg.trainer, device)
    seed_everything(cfg.trainer.seed)
    t_start = time.perf_counter()

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
    targets = refine_targets(
        cfg, splits.train, targets, precision, out / "crowd" if dist.is_main else None
    )
    label_noise = targets.noise_rate(splits.train.truth)
    t_data = time.perf_counter() - t_start

    logger = RunLogger(out / "tb", enabled=dist.is_main)
    save = save_checkpoint if dist.is_main else (lambda state, path: None)
    try:
        if dist.is_main:
            crowd_md = write_crowd_outputs(out / "crowd", splits.train, crowd, targets)
            for name, md in crowd_md.items():
                logger.text(f"crowd/{name}", md)
            if splits.summary is not None:  # files a real source read, kept and skipped
                (out / "data_summary.json").write_text(json.dumps(splits.summary.to_dict()))
                logger.text("data/load_summary", splits.summary.to_markdown())
        model = instantiate(cfg.model, num_classes=splits.train.num_classes).to(device)
        if precision.channels_last:
            model = model.to(memory_format=torch.channels_last)
        loader, sampler = _build_loader(splits.train, targets, cfg, device, dist)
        crowd_loss = build_crowd_loss(cfg, targets)
        if crowd_loss is not None:
            crowd_loss = crowd_loss.to(device)
        epochs = cfg.trainer.epochs
        max_steps = cfg.trainer.max_steps or None
        total_steps = epochs * len(loader)
        if max_steps is not None:
            total_steps = min(max_steps, total_steps)
        groups = param_groups(model) + worker_param_groups(crowd_loss, cfg)
        optimizer = instantiate(cfg.optim.optimizer)(groups)
        scheduler = instantiate(cfg.optim.scheduler)(optimizer, total_steps=total_steps)
        class_weights = None
        if cfg.trainer.balance == "weights":  # weights from the targets trained on, not truth
            hard = targets.hard[targets.answered]
            class_weights = torch.as_tensor(
                class_weights_for(hard, splits.train.num_classes), device=device
            )
        step_model: nn.Module = model
        if dist.enabled:
            step_model = DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None
            )
        if cfg.trainer.compile and device.type == "cuda":  # CPU runs stay eager
            step_model = torch.compile(step_model)
        ema = weight_average(model, cfg.trainer.ema_decay)
        eval_model = model if ema is None else ema.module  # what is validated and shipped

        eval_in = eval_preset(image_size=splits.train.image_size, contrast=cfg.augment.contrast)
        resolved = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
        first_epoch, global_step, best, history = 0, 0, -math.inf, []
        if cfg.resume:
            state = load_checkpoint(ckpt_dir / "last.pt", map_location=device)
            _check_resumable(state["config"], cfg)
            model.load_state_dict(state["trained_model"] if ema else state["model"])
            if ema is not None:
                ema.load_state_dict(state["ema"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["torch_rng"])
            first_epoch, global_step = state["epoch"], state["global_step"]
            best, history = state["best_metric"], state["history"]
            log.info("resumed from %s at epoch %d", ckpt_dir / "last.pt", first_epoch)

        def on_step(step: int, loss: torch.Tensor, images: torch.Tensor) -> None:
            nonlocal global_step
            global_step += 1
            if ema is not None:
                ema.update(model)
            if global_step % cfg.trainer.log_every == 0:
                lr = optimizer.param_groups[0]["lr"]
                logger.scalars({"train/loss_step": loss.item(), "lr": lr}, global_step)
            if global_step == 1:
                logger.image_grid("train/augmented", images, global_step)

        t_train = time.perf_counter()
        for epoch in range(first_epoch, epochs):
            if max_steps is not None and global_step >= max_steps:
                break
            sampler.set_epoch(epoch)
            stats = train_one_epoch(
                step_model,
                loader,
                optimizer,
                scheduler,
                precision=precision,
                label_smoothing=cfg.trainer.label_smoothing,
                class_weights=class_weights,
                gce_q=cfg.trainer.gce_q,
                grad_clip=cfg.trainer.grad_clip,
                max_steps=None if max_steps is None else max_steps - global_step,
                criterion=crowd_loss,
                on_step=on_step,
                progress=cfg.trainer.progress and dist.is_main,
                desc=f"epoch {epoch + 1}/{epochs}",
            )
            # every rank scores val (cheap, identical weights) so all agree on "best"
            val, confusion, _ = evaluate_split(
                eval_model,
                selection.images,
                precision=precision,
                batch_size=cfg.trainer.eval_batch_size,
                preset=eval_in,
                labels=selection.labels,
            )
            logger.scalars(stats, epoch + 1, prefix="train/")
            logger.scalars(val, epoch + 1, prefix="val/")
            history.append(
                {
                    "epoch": epoch + 1,
                    **{f"train/{k}": v for k, v in stats.items()},
                    **{f"val/{k}": v for k, v in val.items()},
                }
            )
            if dist.is_main:
                log.info(
                    "epoch %d/%d  loss %.4f  val acc %.4f  bal acc %.4f  (%.0f img/s)",
                    epoch + 1,
                    epochs,
                    stats["loss"],
                    val["accuracy"],
                    val["balanced_accuracy"],
                    stats["images_per_s"] * dist.world_size,
                )
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch + 1,
                "global_step": global_step,
                "best_metric": best,
                "history": history,
                "config": resolved,
                "class_names": list(splits.class_names),
                "torch_rng": torch.get_rng_state(),
            }
            if ema is not None:  # "model" is the average; resume needs the trained weights too
                state.update(model=eval_model.state_dict(), trained_model=model.state_dict())
                state["ema"] = ema.state_dict()
            if val["balanced_accuracy"] > best:
                best = state["best_metric"] = val["balanced_accuracy"]
                # drawn on improvement only: a figure every epoch costs ~30% of a small run
                logger.confusion("val/confusion", confusion, splits.class_names, epoch + 1)
                save(state, ckpt_dir / "best.pt")
            save(state, ckpt_dir / "last.pt")
        train_seconds = time.perf_counter() - t_train
        if crowd_loss is not None and dist.is_main:
            crowd_loss.write_report(out / "crowd", targets.codes.worker_ids, splits.class_names)
        barrier(dist)  # rank 0 has written best.pt

        best_state = load_checkpoint(ckpt_dir / "best.pt", map_location=device)
        model.load_state_dict(best_state["model"])
        scaled = (
            calibrate_best(  # fits best.pt's temperature on the selection labels, rewrites best.pt
                model,
                best_state,
                # the selection labels stand in for truth: calibration never reads the truth either
                replace(selection.images, truth=selection.labels),
                path=ckpt_dir / "best.pt",
                save=save,
                preset=eval_in,
                precision=precision,
                batch_size=cfg.trainer.eval_batch_size,
                label_noise=selection.label_noise,
            )
        )
        test, confusion, test_probs = evaluate_split(
            scaled,
            splits.test,
            precision=precision,
            batch_size=cfg.trainer.eval_batch_size,
            preset=eval_in,
        )
        metrics: dict[str, float] = {f"test/{k}": v for k, v in test.items()}
        # the stop threshold for trainer.target_recall, chosen on the selection set
        metrics.update(
            operating_point(cfg, scaled, selection, splits.test, test_probs, precision, eval_in)
        )
        if "val/threshold" in metrics:
            save({**best_state, "threshold": metrics["val/threshold"]}, ckpt_dir / "best.pt")
        metrics["val/best_balanced_accuracy"] = best  # against the selection labels
        metrics["selection/images"] = float(len(selection.images))
        metrics["val/temperature"] = best_state["temperature"]
        metrics["train/label_noise"] = float("nan") if label_noise is None else label_noise
        metrics["time/data_s"] = t_data
        metrics["time/train_s"] = train_seconds
        metrics["time/total_s"] = time.perf_counter() - t_start
        if dist.is_main:
            write_run_outputs(
                out,
                cfg,
                resolved,
                metrics,
                history,
                test,
                confusion,
                best_state,
                splits,
                targets,
                device,
                dist,
                logger,
                extra={"selection": selection.record()},
            )
    finally:
        logger.close()
    return metrics
