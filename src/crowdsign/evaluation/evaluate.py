"""``evaluate(cfg)``: run the configured report (``report=standard|robustness``) on a checkpoint.

Every report scores against truth. The checkpoint is loaded with ``weights_only=True`` and its
own config rebuilds the model and (unless ``data=`` overrides it) the data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from crowdsign.augment import Preset, eval_preset
from crowdsign.data.imageset import ImageSet
from crowdsign.data.load import load_splits
from crowdsign.errors import ConfigError
from crowdsign.evaluation.report import write_report
from crowdsign.evaluation.robustness import robustness_report
from crowdsign.inference.model import load_model
from crowdsign.runtime.device import Precision, configure_threads, resolve_device, resolve_precision
from crowdsign.runtime.metrics import stop_index
from crowdsign.runtime.run_dir import RunDir
from crowdsign.runtime.scoring import evaluate_split
from crowdsign.runtime.tensorboard import RunLogger

log = logging.getLogger(__name__)


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Run ``cfg.report`` (a partial taking the evaluate config) and return its metrics."""
    return instantiate(cfg.report)(cfg)


@dataclass(frozen=True)
class Loaded:
    """A checkpoint's model on its device, its eval preset, and the split to score it on."""

    model: nn.Module
    images: ImageSet
    precision: Precision
    image_size: int
    epoch: int
    preset: Preset  # the checkpoint's eval preset: resize to its side, its contrast


def load_for_evaluation(cfg: DictConfig) -> Loaded:
    """The checkpoint and the split, decoded once at the checkpoint's own side.

    A source given with ``data=`` is decoded (and cached) at the checkpoint's ``image_size``,
    never at the source's default and then resized again, so every image reaches the model as
    ``predict.py`` would prepare the same file: one resize, then the checkpoint's eval preset.
    """
    device = resolve_device(cfg.trainer.device)
    configure_threads(cfg.trainer.threads, device)
    loaded = load_model(cfg.ckpt_path, device)
    trained = OmegaConf.create(loaded.config)
    if cfg.data is not None and cfg.task is None:
        cfg.task = trained.data.task  # another source, scored on the checkpoint's own task
    data_cfg = trained.data if cfg.data is None else cfg.data
    if "image_size" in data_cfg:
        data_cfg.image_size = loaded.image_size
    splits = load_splits(data_cfg)
    if tuple(splits.class_names) != loaded.class_names:
        raise ConfigError(
            f"checkpoint {cfg.ckpt_path} predicts classes {list(loaded.class_names)} but the "
            f"data has {list(splits.class_names)}: a checkpoint of another task (task=?)"
        )
    try:
        images = splits[cfg.split]
    except KeyError as e:
        raise ConfigError(f"split={cfg.split}: {e.args[0]}") from None
    return Loaded(
        model=loaded.model,
        images=images,
        precision=resolve_precision(cfg.trainer, device),
        image_size=loaded.image_size,
        epoch=loaded.epoch,
        preset=loaded.eval_preset(),
    )


def _context(cfg: DictConfig, loaded: Loaded) -> dict:
    return {
        "checkpoint": str(Path(cfg.ckpt_path).resolve()),
        "split": cfg.split,
        "epoch": loaded.epoch,
        "images": len(loaded.images),
    }


def standard_report(cfg: DictConfig) -> dict[str, float]:
    """Metrics and confusion matrix → report.json, report.md, confusion.png (and stdout)."""
    loaded = load_for_evaluation(cfg)
    metrics, confusion, _ = evaluate_split(
        loaded.model,
        loaded.images,
        precision=loaded.precision,
        batch_size=cfg.trainer.eval_batch_size,
        preset=loaded.preset,
    )
    md = write_report(
        Path(cfg.paths.output_dir),
        title=f"Evaluation on {cfg.split}",
        metrics=metrics,
        confusion=confusion,
        class_names=loaded.images.class_names,
        context=_context(cfg, loaded),
    )
    print(md)
    return metrics


def robustness(
    cfg: DictConfig, *, severities: list[int], families, max_images: int, seed: int
) -> dict[str, float]:
    """The corruption benchmark → robustness.{csv,md}, robustness_grid.png, TensorBoard."""
    loaded = load_for_evaluation(cfg)
    split = loaded.images
    if split.truth is None:
        raise ConfigError(f"split {cfg.split!r} has no truth labels to score against")
    n = len(split) if max_images <= 0 else min(max_images, len(split))
    images = np.asarray(split.images[:n])
    if split.image_size != loaded.image_size:  # a source that ignores data.image_size
        resize = eval_preset(image_size=loaded.image_size)
        images = np.stack([resize(im) for im in images])
    out = RunDir(cfg.paths.output_dir)
    headline = robustness_report(
        loaded.model,
        images,
        split.truth[:n],
        split.class_names,
        device=loaded.precision.device,
        batch_size=cfg.trainer.eval_batch_size,
        out_dir=out.root,
        stop_index=stop_index(split.class_names),
        seed=seed,
        severities=tuple(severities),
        families=None if families is None else list(families),
        preset=loaded.preset,
    )
    logger = RunLogger(out.tb)
    try:
        logger.scalars(headline, loaded.epoch, prefix="robustness/")
        logger.text("robustness", out.robustness_md.read_text())
        logger.png("robustness/grid", out.robustness_grid, loaded.epoch)
    finally:
        logger.close()
    print(out.robustness_md.read_text())
    return headline
