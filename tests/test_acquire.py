"""The ``acquire`` hook: train.py buys its answers with a strategy before training."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from crowdsign.pipeline import train
from crowdsign.training.acquire import _checkpoints


def test_checkpoints_start_at_one_answer_per_image():
    assert _checkpoints(100, 1.0, 3) == [100]
    assert _checkpoints(100, 2.5, 3) == [100, 150, 200, 250]
    with pytest.raises(ValueError, match="below one answer per image"):
        _checkpoints(100, 0.5, 3)


@pytest.mark.parametrize("strategy", ["adaptive", "uniform"])
def test_smoke_train_buys_within_budget(make_cfg, strategy):
    cfg = make_cfg(
        "train",
        [
            "debug=smoke",
            f"acquire={strategy}",
            "acquire.answers_per_task=1.5",
            "acquire.epochs=1",
            "acquire.rounds=2",
            "crowd.labels_per_image=3",
            "trainer.epochs=1",
        ],
    )
    metrics = train(cfg)
    out = Path(cfg.paths.output_dir)
    facts = json.loads((out / "acquire" / "acquire.json").read_text())
    n = 256  # debug=smoke train images
    assert facts["answers"] <= 1.5 * n
    history = pd.read_csv(out / "acquire" / "history.csv")
    assert history["answers"].is_monotonic_increasing
    assert history["answers"].iloc[0] == n  # every image answered once first
    targets = json.loads((out / "crowd" / "targets.json").read_text())
    assert targets["answers"] == facts["answers"]  # training saw exactly what was bought
    assert 0.0 <= metrics["test/accuracy"] <= 1.0
    if strategy == "adaptive":
        assert history["model_weight"].iloc[-1] >= 0.0
