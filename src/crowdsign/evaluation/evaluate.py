"""``evaluate(cfg)``: score a checkpoint on a split against truth and write a report."""

from __future__ import annotations

import logging
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from crowdsign.evaluation.report import write_report
from crowdsign.evaluation.scoring import evaluate_split
from crowdsign.training.checkpoint import load_checkpoint
from crowdsign.training.runtime import configure_threads, resolve_device, resolve_precision

log = logging.getLogger(__name__)


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Load ``cfg.ckpt_path`` (weights only), rebuild its data (or ``cfg.data``), report."""
    state = load_checkpoint(cfg.ckpt_path)
    trained = OmegaConf.create(state["config"])
    device = resolve_device(cfg.trainer.device)
    configure_threads(cfg.trainer.threads, device)
    precision = resolve_precision(cfg.trainer, device)

    splits = instantiate(cfg.data if cfg.data is not None else trained.data)
    if list(splits.class_names) != list(state["class_names"]):
        raise ValueError(
            f"checkpoint {cfg.ckpt_path} predicts classes {state['class_names']} but the data "
            f"has {list(splits.class_names)}: a checkpoint of another task (data.task?)"
        )
    model = instantiate(trained.model, num_classes=len(state["class_names"]))
    model.load_state_dict(state["model"])
    model.to(device)
    metrics, confusion, _ = evaluate_split(
        model,
        splits[cfg.split],
        precision=precision,
        batch_size=cfg.trainer.eval_batch_size,
        image_size=trained.data.image_size,
    )
    md = write_report(
        Path(cfg.paths.output_dir),
        title=f"Evaluation on {cfg.split}",
        metrics=metrics,
        confusion=confusion,
        class_names=splits.class_names,
        context={
            "checkpoint": str(Path(cfg.ckpt_path).resolve()),
            "split": cfg.split,
            "epoch": state["epoch"],
            "images": len(splits[cfg.split]),
        },
    )
    print(md)
    return metrics
