"""The adaptive-vs-uniform report: runs read from a sweep dir, paired verdicts, user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from crowdsign.errors import EXIT_USER_ERROR
from crowdsign.evaluation import adaptive_report


def _run(sweep: Path, strategy: str, budget: int, seed: int, test_acc: float) -> None:
    root = sweep / f"{strategy}_{budget}" / f"seed={seed}"
    (root / "acquire").mkdir(parents=True)
    (root / ".hydra").mkdir()
    (root / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"seed": seed}))
    (root / "metrics.json").write_text(
        json.dumps({"test/accuracy": test_acc, "test/balanced_accuracy": test_acc})
    )
    facts = {
        "strategy": {"adaptive": "AdaptiveStrategy", "uniform": "UniformStrategy"}[strategy],
        "answers_per_task_budget": budget,
        "answers": 10 * budget,
        "answers_per_task": float(budget),
        "cost": 1.0 * budget,
        "fair_cost": 1.5 * budget,
        "label_accuracy": 0.8,
    }
    (root / "acquire" / "acquire.json").write_text(json.dumps(facts))


def _sweep(tmp_path: Path) -> Path:
    # budget 1: adaptive is 0.05 better on every seed (resolved); budget 2: mixed signs
    for seed, noise in enumerate((0.00, 0.01, -0.01)):
        _run(tmp_path, "uniform", 1, seed, 0.70 + noise)
        _run(tmp_path, "adaptive", 1, seed, 0.75 + noise + 0.001 * seed)
        _run(tmp_path, "uniform", 2, seed, 0.80)
        _run(tmp_path, "adaptive", 2, seed, 0.80 + (-0.02, 0.03, -0.01)[seed])
    return tmp_path


def test_collect_reads_every_finished_run(tmp_path: Path) -> None:
    runs = adaptive_report.collect(_sweep(tmp_path))
    assert len(runs) == 12
    assert set(runs["strategy"]) == {"adaptive", "uniform"}
    assert sorted(runs["seed"].unique()) == [0, 1, 2]


def test_verdicts_pair_runs_by_seed(tmp_path: Path) -> None:
    runs = adaptive_report.collect(_sweep(tmp_path))
    v = adaptive_report.verdicts(runs, "test_accuracy").set_index("budget")
    # per-seed differences 0.050, 0.051, 0.052: tiny spread, resolved although the unpaired
    # spread of either strategy (0.01) would not separate them much
    assert v.loc[1, "difference"] == pytest.approx(0.051)
    assert v.loc[1, "seeds"] == 3
    assert v.loc[1, "verdict"] == "better"
    assert bool(v.loc[1, "beyond_std"])
    assert v.loc[2, "verdict"] == "not resolved"
    assert v.loc[2, "lo"] < 0 < v.loc[2, "hi"]


def test_verdicts_ignore_seeds_one_strategy_lacks(tmp_path: Path) -> None:
    runs = adaptive_report.collect(_sweep(tmp_path))
    runs = runs[~((runs["strategy"] == "uniform") & (runs["seed"] == 2))]
    v = adaptive_report.verdicts(runs, "test_accuracy").set_index("budget")
    assert v.loc[1, "seeds"] == 2


def test_report_writes_table_and_figure(tmp_path: Path) -> None:
    out = adaptive_report.report(_sweep(tmp_path))
    md = (out / "adaptive.md").read_text()
    assert "paired by seed" in md and "| 1 | 3 | +0.0510 |" in md
    assert "test_bal_acc, paired by seed" in md  # the rare class's view too
    assert (out / "adaptive.png").stat().st_size > 0
    summary = pd.read_csv(out / "adaptive.csv")
    assert set(summary["runs"]) == {3}


def test_empty_sweep_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        adaptive_report.main([str(tmp_path / "nothing")])
    assert exc.value.code == EXIT_USER_ERROR
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nothing" in err and "experiment=adaptive" in err
