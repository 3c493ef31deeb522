"""Config schemas of ``predict.py`` and ``export.py`` (``base_predict``, ``base_export``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from crowdsign.checks import checked
from crowdsign.training.schemas import PathsConfig, TrainerConfig


@dataclass
class PredictConfig:
    """Classify image files with a trained checkpoint (:func:`crowdsign.inference.predict`)."""

    ckpt_path: str = MISSING
    inputs: Any = MISSING  # a file, a folder (searched recursively), a glob, or a list of them
    # stop when p(stop) >= threshold; None: the checkpoint's (trainer.target_recall), else argmax
    threshold: float | None = checked(None, ge=0, le=1)
    # csv (predictions.csv + skipped.csv) | json (predictions.json)
    output_format: str = checked("csv", choices=("csv", "json"))
    sheet_size: int = checked(8, ge=0)  # images per row of the contact sheet; 0 writes no sheet
    decode_workers: int = checked(0, ge=0)  # decode threads; 0 = every core this process may use
    trainer: TrainerConfig = field(default_factory=TrainerConfig)  # device, precision, batch
    paths: PathsConfig = field(default_factory=PathsConfig)
    run_name: str = "predict"


@dataclass
class ExportConfig:
    """Export a checkpoint and check it against PyTorch (:func:`crowdsign.inference.export`)."""

    ckpt_path: str = MISSING
    format: str = checked("onnx", choices=("onnx",))  # the one format export.py writes
    output: str | None = None  # None: <paths.output_dir>/model.onnx
    opset: int | None = None  # None: the exporter's default
    # images in the parity check (a batch size other than the example's)
    check_batch: int = checked(16, ge=1)
    atol: float = checked(1e-4, ge=0)  # parity tolerance on logits and probabilities
    rtol: float = checked(1e-3, ge=0)
    seed: int = 0  # of the random parity-check images
    paths: PathsConfig = field(default_factory=PathsConfig)
    run_name: str = "export"


def register(cs: ConfigStore) -> None:
    """Store ``base_predict`` and ``base_export``; storing twice just overwrites."""
    cs.store(name="base_predict", node=PredictConfig)
    cs.store(name="base_export", node=ExportConfig)
