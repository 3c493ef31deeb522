"""``report=crowd_methods``: mean ± std per robust option and the share of the gap closed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from crowdsign.evaluation.crowd_methods import crowd_methods_report


def fake_run(root: Path, method: str, seed: int, acc: float | None) -> None:
    run = root / f"robust={method}" / f"seed={seed}"
    (run / ".hydra").mkdir(parents=True)
    choices = {"hydra": {"runtime": {"choices": {"robust": method, "crowd": "matrix"}}}}
    (run / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(choices))
    (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"seed": seed}))
    if acc is not None:
        metrics = {"metrics": {"test/accuracy": acc, "time/total_s": 120.0}}
        (run / "metrics.json").write_text(json.dumps(metrics))


def test_report_means_stds_and_gap_closed(tmp_path):
    for seed, (clean, vote, layer) in enumerate([(0.80, 0.60, 0.70), (0.82, 0.62, 0.74)]):
        fake_run(tmp_path, "clean", seed, clean)
        fake_run(tmp_path, "none", seed, vote)
        fake_run(tmp_path, "crowd_layer", seed, layer)
    fake_run(tmp_path, "consensus", 0, None)  # still running
    cfg = OmegaConf.create({"sweep_dir": str(tmp_path)})
    means = crowd_methods_report(cfg, published={"none": 0.772}, published_note="VGG16")
    assert means["crowd_layer/mean"] == pytest.approx(0.72)
    md = (tmp_path / "report" / "crowd_methods.md").read_text()
    assert "| crowd_layer | 2 | 0,1 | 0.720 ± 0.028 | 55% |" in md
    rows = {line.split(" | ")[0]: line for line in md.splitlines() if line.startswith("| ")}
    assert rows["| crowd_layer"].endswith("| +11.0* |")  # 0.720 - 0.028 > 0.610 + 0.014
    assert rows["| none"].endswith("| +0.0 |")  # the vote itself
    assert "1 incomplete" in md and "0.772" in md and "VGG16" in md


def test_report_on_a_dir_without_runs_is_clear(tmp_path):
    with pytest.raises(ValueError, match="no run dirs"):
        crowd_methods_report(OmegaConf.create({"sweep_dir": str(tmp_path)}))
