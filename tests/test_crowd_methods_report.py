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
    assert "| +11.0* |" in rows["| crowd_layer"]  # 0.720 - 0.028 > 0.610 + 0.014
    # paired by seed: +10 and +12 points, mean +11, t interval 11 ± 12.706 * 1.414 / 1.414
    assert rows["| crowd_layer"].endswith("| +11.0 [-1.7, +23.7] (2 seeds, not resolved) |")
    assert "| +0.0 |" in rows["| none"]  # the vote itself
    assert "1 incomplete" in md and "0.772" in md and "VGG16" in md


def test_report_on_a_dir_without_runs_is_clear(tmp_path):
    with pytest.raises(ValueError, match="no run dirs"):
        crowd_methods_report(OmegaConf.create({"sweep_dir": str(tmp_path)}))


def test_paired_difference_resolves_a_consistent_small_gain(tmp_path):
    # +1 point on every seed: the std of each method (2 points) hides it, pairing does not
    for seed, vote in enumerate([0.60, 0.62, 0.64, 0.66]):
        fake_run(tmp_path, "none", seed, vote)
        fake_run(tmp_path, "trace_reg", seed, vote + 0.01 + 0.001 * seed)
    crowd_methods_report(OmegaConf.create({"sweep_dir": str(tmp_path)}))
    md = (tmp_path / "report" / "crowd_methods.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| trace_reg"))
    assert "| +1.1 |" in row  # not beyond one std of each
    assert "(4 seeds, resolved) |" in row
