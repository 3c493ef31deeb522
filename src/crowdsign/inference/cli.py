"""Hydra entry points of ``predict.py`` / ``export.py`` and the console scripts
``crowdsign-predict`` / ``crowdsign-export``."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from crowdsign.checks import validate_config
from crowdsign.cli import CONFIG_DIR, rejecting_renamed_keys
from crowdsign.errors import exit_on_user_error


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
@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="predict")
def predict_main(cfg: DictConfig) -> None:
    """Console script ``crowdsign-predict``; same as ``python predict.py``."""
    run_predict(cfg)


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="export")
def export_main(cfg: DictConfig) -> None:
    """Console script ``crowdsign-export``; same as ``python export.py``."""
    run_export(cfg)
