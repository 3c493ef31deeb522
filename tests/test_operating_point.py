"""The operating point: a threshold on p(stop) for a target stop recall, chosen on validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crowdsign.runtime.checkpoint import load_checkpoint
from crowdsign.training.operating_point import at_threshold, choose_threshold


def test_largest_threshold_reaching_the_target_recall():
    p = np.array([0.95, 0.9, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 0, 1, 0, 1, 0, 0], dtype=bool)  # stop scores 0.95, 0.9, 0.6, 0.3
    assert choose_threshold(p, y, 0.5)["threshold"] == 0.9  # 2 of 4
    chosen = choose_threshold(p, y, 0.75)  # 3 of 4: down to 0.6
    assert chosen["threshold"] == 0.6 and chosen["recall"] == 0.75
    assert chosen["precision"] == pytest.approx(3 / 4)
    full = choose_threshold(p, y, 0.99)  # every stop sign: down to 0.3
    assert full["threshold"] == 0.3 and full["recall"] == 1.0
    assert at_threshold(p, y, 0.3) == {
        "stop_recall_at_threshold": 1.0,
        "stop_precision_at_threshold": pytest.approx(4 / 6),
    }
    assert choose_threshold(p, np.zeros(8, bool), 0.99)["threshold"] is None
    with pytest.raises(ValueError, match="target_recall"):
        choose_threshold(p, y, 1.5)


def test_crowd_labels_set_no_threshold(smoke_run):
    # the crowd's "stop"s include non-stops: a recall on them would drag the threshold to ~0
    cfg, metrics = smoke_run
    assert cfg.trainer.selection.value == "crowd" and cfg.trainer.target_recall > 0
    assert "val/threshold" not in metrics
    state = load_checkpoint(Path(cfg.paths.output_dir) / "checkpoints" / "best.pt")
    assert "threshold" not in state


def test_truth_selection_stores_the_threshold_and_export_carries_it(make_cfg):
    from crowdsign.inference.export import onnx_metadata
    from crowdsign.inference.model import load_model
    from crowdsign.pipeline import train

    cfg = make_cfg("train", ["debug=smoke", "trainer.epochs=1", "trainer.selection=truth"])
    metrics = train(cfg)
    out = Path(cfg.paths.output_dir)
    state = load_checkpoint(out / "checkpoints" / "best.pt")
    assert state["threshold"] == metrics["val/threshold"]
    assert 0.0 <= state["threshold"] <= 1.0
    assert metrics["val/stop_recall_at_threshold"] >= cfg.trainer.target_recall
    assert "test/stop_recall_at_threshold" in metrics
    stored = json.loads((out / "metrics.json").read_text())["metrics"]
    assert stored["val/threshold"] == state["threshold"]
    meta = onnx_metadata(load_model(out / "checkpoints" / "best.pt"))
    assert json.loads(meta["crowdsign.threshold"]) == pytest.approx(state["threshold"])


def test_target_recall_zero_stores_no_threshold(make_cfg):
    from crowdsign.pipeline import train

    cfg = make_cfg("train", ["debug=smoke", "trainer.epochs=1", "trainer.target_recall=0"])
    metrics = train(cfg)
    assert "val/threshold" not in metrics
    state = load_checkpoint(Path(cfg.paths.output_dir) / "checkpoints" / "best.pt")
    assert "threshold" not in state
