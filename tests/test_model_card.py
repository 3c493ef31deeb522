"""model_card.md: facts read from the run's files; optional reports included when present."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.cost import CostModel
from crowdsign.crowd.reports import write_crowd_reports
from crowdsign.data.summary import LoadSummary
from crowdsign.evaluation.model_card import render_model_card, write_model_card
from crowdsign.evaluation.robustness import robustness_report
from crowdsign.inference import load_model
from crowdsign.runtime.run_files import RunFiles


@pytest.fixture
def run_copy(smoke_run, tmp_path) -> Path:
    """A copy of the smoke run that a test may add files to or delete files from."""
    run_dir = smoke_run[0].paths.output_dir
    return Path(shutil.copytree(run_dir, tmp_path / "run", ignore=shutil.ignore_patterns("tb")))


def test_card_states_the_runs_facts(run_copy):
    md = write_model_card(run_copy)
    assert (run_copy / "model_card.md").read_text() == md
    targets = json.loads((run_copy / "crowd" / "targets.json").read_text())
    test = json.loads((run_copy / "report.json").read_text())["metrics"]
    for fact in [
        "`not_stop`, `stop`",
        "Stop-sign class: `stop`",
        "stretched to 32×32 px",
        "| train | 256 |",
        "| test | 128 |",
        "Simulated pool of 100 workers",
        "3 labels per image",
        f"{targets['answers']} answers from {targets['workers']} workers",
        "Aggregation: MajorityVote, hard targets",
        f"Estimated label noise: {targets['target_noise_vs_truth']:.1%}",
        "| model | TinyCNN(width=8) |",
        "AdamW(lr=0.003",
        f"| balanced accuracy | {test['balanced_accuracy']:.3f} |",
        "one training run (seed 0)",
        "effective hourly wage",  # every run prices its crowd labels (crowd/cost.json)
        "Robustness to corruptions (weather, blur, fading...) is not measured",
        "Trained and tested only on synthetic rendered images",
        "The training labels are simulated",
    ]:
        assert fact in md, fact


def test_card_includes_cost_and_robustness_when_present(run_copy):
    # 4 answers on 2 images at $0.05 for 30 s each: $6.00/h against the $7.25/h reference
    answers = pd.DataFrame(
        {
            "task": ["a", "a", "b", "b"],
            "worker": ["w1", "w2", "w1", "w2"],
            "label": ["stop"] * 4,
            "reward": [0.05] * 4,
            "seconds": [30.0] * 4,
        }
    )
    crowd = CrowdLabels(answers=answers, summary=LoadSummary(source="mturk batch.csv"))
    write_crowd_reports(crowd, run_copy / "crowd", cost=CostModel())

    loaded = load_model(run_copy / "checkpoints" / "best.pt")
    rng = np.random.default_rng(0)
    robustness_report(
        loaded.model,
        rng.integers(0, 256, (8, 32, 32, 3), dtype=np.uint8),
        np.array([0, 1] * 4),
        loaded.class_names,
        device=torch.device("cpu"),
        batch_size=8,
        out_dir=run_copy,
        stop_index=1,
        severities=(1, 2),
        families=("fog", "fade"),
    )
    md = write_model_card(run_copy)
    for fact in [
        "Total $0.24 for 4 answers on 2 images ($0.1200 per image)",
        "effective hourly wage $6.00/h against a fair-wage reference of $7.25/h "
        "(US federal minimum wage), 83% of it",
        "100% of the work hours were paid below the reference",
        "8 test images under 2 corruptions × severities 1, 2",
        "| clean |",
        "| weather |",
        "| fading |",
        "| severity 2 |",
    ]:
        assert fact in md, fact
    assert "not measured" not in md


def test_card_degrades_when_optional_files_are_missing(run_copy):
    shutil.rmtree(run_copy / "crowd")
    (run_copy / "metrics.json").unlink()
    md = write_model_card(run_copy)
    assert "crowd/targets.json: absent" in md and "metrics.json: absent" in md
    assert "Estimated label noise: unknown" in md
    assert "| balanced accuracy |" in md  # report.json is still there


def test_not_a_run_directory_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        write_model_card(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="not a training run directory"):
        write_model_card(tmp_path)


def test_known_limits_follow_the_config(tmp_path):
    run = RunFiles(
        run_dir=tmp_path,
        config={
            "data": {
                "_target_": "crowdsign.data.gtsrb.load_gtsrb",
                "task": "binary",
                "image_size": 32,
            },
            "crowd": {"_target_": "crowdsign.crowd.simulate.source_labels"},
            "augment": {"preset": "default", "hflip": True},
            "model": {"_target_": "crowdsign.models.CompactResNet"},
        },
        class_names=["not_stop", "stop"],
        metrics={"n_train": 30_000},
    )
    md = render_model_card(run)
    limits = md.split("## Known limits", 1)[1]
    assert "German signs" in limits
    assert "mirrored STOP" in limits
    assert "synthetic" not in limits and "simulated" not in limits
    assert "Small training set" not in limits
    assert "No crowd: the model trained on the source's own labels" in md
