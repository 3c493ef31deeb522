"""``train(cfg)``: data → crowd → targets → model → epochs → checkpoints, metrics, reports."""

from __future__ import annotations

import json
import logging
import math
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn
from torch.utils.data import DataLoader

from crowdsign.augment import eval_preset, train_preset
from crowdsign.data.imageset import ImageSet, Splits
from crowdsign.evaluation.metrics import classification_metrics
from crowdsign.evaluation.report import write_report
from crowdsign.training.batches import AugmentedImages, EpochSampler
from crowdsign.training.checkpoint import load_checkpoint, save_checkpoint
from crowdsign.training.crowd_outputs import write_crowd_outputs
from crowdsign.training.loop import Precision, predict_proba, train_one_epoch
from crowdsign.training.runtime import (
    configure_threads,
    resolve_device,
    resolve_precision,
    seed_everything,
)
from crowdsign.training.targets import Targets, aggregate_targets
from crowdsign.training.tensorboard import RunLogger

log = logging.getLogger(__name__)

# keys whose change does not change the result, so resuming with them changed is fine
RESUME_IGNORED = ("resume", "trainer.progress", "trainer.num_workers", "trainer.threads", "paths")


def param_groups(model: nn.Module) -> list[dict[str, Any]]:
    """Weight decay on conv/linear weights only, not on norms and biases."""
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 else no_decay).append(p)
    return [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]


def git_sha() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def evaluate_split(
    model: nn.Module,
    images: ImageSet,
    *,
    precision: Precision,
    batch_size: int,
    limit_batches: int = 0,
    image_size: int,
) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    """Metrics of ``model`` on ``images`` scored against truth: (metrics, confusion, probs)."""
    if images.truth is None:
        raise ValueError("evaluation needs a split with truth labels")
    transform = None if images.image_size == image_size else eval_preset(image_size=image_size)
    probs = predict_proba(
        model,
        images.images,
        precision=precision,
        batch_size=batch_size,
        transform=transform,
        limit_batches=limit_batches,
    )
    truth = torch.from_numpy(images.truth[: len(probs)])
    metrics, confusion = classification_metrics(probs, truth, images.class_names)
    return metrics, confusion, probs


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

    now = OmegaConf.to_container(cfg, resolve=True)
    if strip(saved) != strip(now):
        diff = sorted(
            k
            for k in set(strip(saved)) | set(strip(now))
            if strip(saved).get(k) != strip(now).get(k)
        )
        raise ValueError(
            f"resume=true but the config differs from the checkpoint's in {diff}; "
            "resume with the same config (or start a new run)"
        )


def _build_loader(
    train: ImageSet, targets: Targets, cfg: DictConfig, device: torch.device
) -> tuple[DataLoader, EpochSampler]:
    keep = np.flatnonzero(targets.answered)
    y = targets.soft[keep] if cfg.aggregate.target == "soft" else targets.hard[keep]
    if cfg.aggregate.target not in ("hard", "soft"):
        raise ValueError(f"aggregate.target must be hard or soft, got {cfg.aggregate.target!r}")
    transform = train_preset(
        preset=cfg.augment.preset, image_size=train.image_size, hflip=cfg.augment.hflip
    )
    images = train.images if len(keep) == len(train) else train.images[keep]
    dataset = AugmentedImages(images, y, transform, seed=cfg.seed)
    sampler = EpochSampler(len(dataset), seed=cfg.seed)
    workers = cfg.trainer.num_workers
    loader = DataLoader(
        dataset,
        batch_size=cfg.trainer.batch_size,
        sampler=sampler,
        drop_last=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        pin_memory=device.type == "cuda",
        prefetch_factor=4 if workers > 0 else None,
    )
    return loader, sampler


def train(cfg: DictConfig) -> dict[str, float]:
    """Train the configured model on crowd targets; return the final metrics (flat dict)."""
    out = Path(cfg.paths.output_dir)
    ckpt_dir = out / "checkpoints"
    device = resolve_device(cfg.trainer.device)
    configure_threads(cfg.trainer.threads, device)
    precision = resolve_precision(cfg.trainer, device)
    seed_everything(cfg.seed)
    t_start = time.perf_counter()

    splits: Splits = instantiate(cfg.data)
    crowd = instantiate(cfg.crowd)(splits.train)
    targets = aggregate_targets(splits.train, crowd, instantiate(cfg.aggregate.estimator))
    label_noise = targets.noise_rate(splits.train.truth)
    t_data = time.perf_counter() - t_start

    logger = RunLogger(out / "tb")
    try:
        for name, md in write_crowd_outputs(out / "crowd", splits.train, crowd, targets).items():
            logger.text(f"crowd/{name}", md)
        model = instantiate(cfg.model, num_classes=splits.train.num_classes).to(device)
        if precision.channels_last:
            model = model.to(memory_format=torch.channels_last)
        loader, sampler = _build_loader(splits.train, targets, cfg, device)
        epochs = cfg.trainer.epochs
        max_steps = cfg.trainer.max_steps or None
        total_steps = (
            epochs * len(loader) if max_steps is None else min(max_steps, epochs * len(loader))
        )
        optimizer = instantiate(cfg.optim.optimizer)(param_groups(model))
        scheduler = instantiate(cfg.optim.scheduler)(optimizer, total_steps=total_steps)
        step_model = (
            torch.compile(model) if cfg.trainer.compile and device.type == "cuda" else model
        )

        resolved = OmegaConf.to_container(cfg, resolve=True)
        first_epoch, global_step, best, history = 0, 0, -math.inf, []
        if cfg.resume:
            state = load_checkpoint(ckpt_dir / "last.pt", map_location=device)
            _check_resumable(state["config"], cfg)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["torch_rng"])
            first_epoch, global_step = state["epoch"], state["global_step"]
            best, history = state["best_metric"], state["history"]
            log.info("resumed from %s at epoch %d", ckpt_dir / "last.pt", first_epoch)

        def on_step(step: int, loss: torch.Tensor, images: torch.Tensor) -> None:
            nonlocal global_step
            global_step += 1
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
                grad_clip=cfg.trainer.grad_clip,
                max_steps=None if max_steps is None else max_steps - global_step,
                on_step=on_step,
                progress=cfg.trainer.progress,
                desc=f"epoch {epoch + 1}/{epochs}",
            )
            val, confusion, _ = evaluate_split(
                model,
                splits.val,
                precision=precision,
                batch_size=cfg.trainer.eval_batch_size,
                limit_batches=cfg.trainer.limit_val_batches,
                image_size=splits.train.image_size,
            )
            logger.scalars(stats, epoch + 1, prefix="train/")
            logger.scalars(val, epoch + 1, prefix="val/")
            logger.confusion("val/confusion", confusion, splits.class_names, epoch + 1)
            history.append(
                {
                    "epoch": epoch + 1,
                    **{f"train/{k}": v for k, v in stats.items()},
                    **{f"val/{k}": v for k, v in val.items()},
                }
            )
            log.info(
                "epoch %d/%d  loss %.4f  val acc %.4f  bal acc %.4f  (%.0f img/s)",
                epoch + 1,
                epochs,
                stats["loss"],
                val["accuracy"],
                val["balanced_accuracy"],
                stats["images_per_s"],
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
            if val["balanced_accuracy"] > best:
                best = state["best_metric"] = val["balanced_accuracy"]
                save_checkpoint(state, ckpt_dir / "best.pt")
            save_checkpoint(state, ckpt_dir / "last.pt")
        train_seconds = time.perf_counter() - t_train

        best_state = load_checkpoint(ckpt_dir / "best.pt", map_location=device)
        model.load_state_dict(best_state["model"])
        test, confusion, _ = evaluate_split(
            model,
            splits.test,
            precision=precision,
            batch_size=cfg.trainer.eval_batch_size,
            image_size=splits.train.image_size,
        )
        write_report(
            out,
            title="Test report (best checkpoint)",
            metrics=test,
            confusion=confusion,
            class_names=splits.class_names,
            context={
                "checkpoint": str(ckpt_dir / "best.pt"),
                "split": "test",
                "best epoch": best_state["epoch"],
            },
        )
        logger.confusion("test/confusion", confusion, splits.class_names, best_state["epoch"])
        metrics: dict[str, float] = {f"test/{k}": v for k, v in test.items()}
        metrics["val/best_balanced_accuracy"] = best
        metrics["train/label_noise"] = float("nan") if label_noise is None else label_noise
        metrics["time/data_s"] = t_data
        metrics["time/train_s"] = train_seconds
        metrics["time/total_s"] = time.perf_counter() - t_start
        (out / "metrics.json").write_text(
            json.dumps(
                {
                    "metrics": metrics,
                    "history": history,
                    "git_sha": git_sha(),
                    "class_names": list(splits.class_names),
                    "n_train": len(splits.train),
                    "n_trained_on": int(targets.answered.sum()),
                    "device": str(device),
                },
                indent=2,
            )
        )
        logger.hparams(_flat_hparams(resolved), {k: v for k, v in metrics.items() if "/" in k})
    finally:
        logger.close()
    return metrics


def _flat_hparams(resolved: dict) -> dict[str, Any]:
    keep = ("data", "crowd", "aggregate", "augment", "model", "optim", "trainer", "seed")
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            flat[prefix] = node

    walk("", {k: resolved[k] for k in keep if k in resolved})
    return flat
