"""Hydra entry points shared by ``train.py``/``evaluate.py`` and the console scripts."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import hydra
from omegaconf import DictConfig

from crowdsign.config import register_configs

log = logging.getLogger("crowdsign")

# configs/ lives at the repository root (the package is installed editable from it)
CONFIG_DIR = str(Path(__file__).resolve().parents[2] / "configs")

register_configs()


def run_train(cfg: DictConfig) -> dict[str, float]:
    from crowdsign.training import train as train_fn
    from crowdsign.training.sweep import in_multirun, sweep_job

    is_main = int(os.environ.get("RANK", "0")) == 0  # under torchrun, rank 0 reports
    from crowdsign.crowd.io import CrowdFormatError

    # a sweep job is skipped if finished, and a failure is recorded instead of raised
    try:
        metrics = sweep_job(cfg, train_fn, is_main=is_main) if in_multirun() else train_fn(cfg)
    except CrowdFormatError as e:  # a user's file: one line naming file, row and column
        log.error("%s", e)
        raise SystemExit(2) from None
    if not is_main:
        return metrics
    out = cfg.paths.output_dir
    log.info(
        "test accuracy %.4f, balanced accuracy %.4f",
        metrics["test/accuracy"],
        metrics["test/balanced_accuracy"],
    )
    print(
        f"outputs: {out}\n  checkpoints: {out}/checkpoints/{{best,last}}.pt\n"
        f"  metrics: {out}/metrics.json\n  report: {out}/report.md\n"
        f"  tensorboard --logdir {out}/tb"
    )
    return metrics


def run_evaluate(cfg: DictConfig) -> dict[str, float]:
    from crowdsign.evaluation.evaluate import evaluate as evaluate_fn

    metrics = evaluate_fn(cfg)
    print(f"outputs: {cfg.paths.output_dir}")
    return metrics


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def train(cfg: DictConfig) -> float:
    """Console script ``crowdsign-train``; same as ``python train.py``."""
    return run_train(cfg)["test/balanced_accuracy"]


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="evaluate")
def evaluate(cfg: DictConfig) -> None:
    """Console script ``crowdsign-evaluate``; same as ``python evaluate.py``."""
    run_evaluate(cfg)
