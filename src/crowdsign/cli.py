"""Hydra entry points of ``train.py``, ``evaluate.py``, ``label.py``, ``predict.py`` and
``export.py``, and the console scripts ``crowdsign-{train,evaluate,label,predict,export}``."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from crowdsign.checks import reject_renamed_keys, validate_config
from crowdsign.config import register_configs
from crowdsign.errors import exit_on_user_error
from crowdsign.runtime.run_dir import RunDir

log = logging.getLogger("crowdsign")

# configs/ lives at the repository root (the package is installed editable from it)
CONFIG_DIR = str(Path(__file__).resolve().parents[2] / "configs")

register_configs()


def rejecting_renamed_keys(main: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap a ``@hydra.main`` function: a renamed key on the command line (``trainer.num_workers``)
    ends the command with one line naming the new key, exit status 2, before Hydra composes."""

    @functools.wraps(main)
    def checked_main() -> Any:
        with exit_on_user_error():
            reject_renamed_keys(sys.argv[1:])
        return main()

    return checked_main


def run_train(cfg: DictConfig) -> dict[str, float]:
    from crowdsign.pipeline import train as train_fn
    from crowdsign.training.sweep import in_multirun, sweep_job

    def checked_train(cfg: DictConfig) -> dict[str, float]:
        validate_config(cfg)  # a bad value stops here, before any data loads
        return train_fn(cfg)

    is_main = int(os.environ.get("RANK", "0")) == 0  # under torchrun, rank 0 reports
    # a sweep job is skipped if finished, and a failure is recorded instead of raised; a
    # single run's user error ends the command with one line and exit status 2
    with exit_on_user_error():
        if in_multirun():
            metrics = sweep_job(cfg, checked_train, is_main=is_main)
        else:
            metrics = checked_train(cfg)
    if not is_main:
        return metrics
    run = RunDir(cfg.paths.output_dir)
    log.info(
        "test accuracy %.4f, balanced accuracy %.4f",
        metrics["test/accuracy"],
        metrics["test/balanced_accuracy"],
    )
    print(
        f"outputs: {run.root}\n  checkpoints: {run.checkpoints}/{{best,last}}.pt\n"
        f"  metrics: {run.metrics}\n  report: {run.report_md}\n"
        f"  tensorboard --logdir {run.tb}"
    )
    return metrics


def run_evaluate(cfg: DictConfig) -> dict[str, float]:
    from crowdsign.evaluation.evaluate import evaluate as evaluate_fn

    with exit_on_user_error():
        validate_config(cfg)
        metrics = evaluate_fn(cfg)
    print(f"outputs: {cfg.paths.output_dir}")
    return metrics


def run_label(cfg: DictConfig) -> None:
    """``label.py``: a user's mistake (budget, batch, truth, export) is one line, exit 2."""
    from crowdsign.crowd.active import LabelError
    from crowdsign.crowd.active.run import run_label as label_fn
    from crowdsign.crowd.io.common import CrowdFormatError

    with exit_on_user_error():
        validate_config(cfg)  # a bad value stops here, before any data loads
    try:
        label_fn(cfg)
    except (LabelError, CrowdFormatError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def run_predict(cfg: DictConfig) -> None:
    from crowdsign.inference.predict import predict

    with exit_on_user_error():
        validate_config(cfg)
        result = predict(cfg)
    stops = "" if result.n_stop is None else f", {result.n_stop} predicted stop"
    print(
        f"predicted {result.n_predicted} image(s){stops}, skipped {len(result.skipped)} "
        f"unreadable\n  predictions: {result.output}"
        + (f"\n  contact sheet: {result.sheet}" if result.sheet else "")
    )


def run_export(cfg: DictConfig) -> None:
    from crowdsign.inference.export import export

    with exit_on_user_error():
        validate_config(cfg)
        result = export(cfg)
    print(
        f"exported {result.path} ({result.size_bytes / 1e6:.2f} MB); onnxruntime matches "
        f"PyTorch on {result.checked} images (max |Δ| {result.max_abs_diff:.2e})"
    )


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def train(cfg: DictConfig) -> float:
    """Console script ``crowdsign-train``; same as ``python train.py``."""
    return run_train(cfg)["test/balanced_accuracy"]


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="evaluate")
def evaluate(cfg: DictConfig) -> None:
    """Console script ``crowdsign-evaluate``; same as ``python evaluate.py``."""
    run_evaluate(cfg)


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="label")
def label(cfg: DictConfig) -> None:
    """Console script ``crowdsign-label``; same as ``python label.py``."""
    run_label(cfg)


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="predict")
def predict_main(cfg: DictConfig) -> None:
    """Console script ``crowdsign-predict``; same as ``python predict.py``."""
    run_predict(cfg)


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="export")
def export_main(cfg: DictConfig) -> None:
    """Console script ``crowdsign-export``; same as ``python export.py``."""
    run_export(cfg)
