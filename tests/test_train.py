"""The CPU smoke train, resume equivalence, evaluation, and clear errors on bad input."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO

import crowdsign.training.run as run_module
from crowdsign.evaluation.evaluate import evaluate
from crowdsign.pipeline import train
from crowdsign.runtime.checkpoint import load_checkpoint, save_checkpoint

SMOKE = ["debug=smoke"]


def test_smoke_train_writes_outputs_and_loss_decreases(smoke_run):
    cfg, metrics = smoke_run
    out = Path(cfg.paths.output_dir)
    for f in [
        "checkpoints/last.pt",
        "checkpoints/best.pt",
        "metrics.json",
        "report.json",
        "report.md",
        "crowd/load_summary.json",
        "crowd/targets.json",
    ]:
        assert (out / f).is_file(), f
    assert list((out / "tb").glob("events.out.tfevents.*"))
    history = json.loads((out / "metrics.json").read_text())["history"]
    losses = [h["train/loss"] for h in history]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0]
    assert 0.0 <= metrics["test/accuracy"] <= 1.0
    assert 0.0 <= metrics["train/label_noise"] < 0.5  # majority of 3 mostly-honest workers


def test_same_seed_same_metrics(make_cfg, smoke_run):
    _, first = smoke_run
    second = train(make_cfg("train", SMOKE, out="again"))
    for k in ("test/accuracy", "test/ece", "val/best_balanced_accuracy"):
        assert first[k] == second[k], k


def test_resume_after_kill_matches_uninterrupted_run(make_cfg, smoke_run, monkeypatch):
    _, uninterrupted = smoke_run
    cfg = make_cfg("train", SMOKE, out="killed")
    real_save = run_module.save_checkpoint

    def save_then_die(state, path):
        real_save(state, path)
        if path.name == "last.pt" and state["epoch"] == 1:
            raise KeyboardInterrupt  # killed right after the first epoch's checkpoint

    monkeypatch.setattr(run_module, "save_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        train(cfg)
    monkeypatch.setattr(run_module, "save_checkpoint", real_save)
    resumed = train(make_cfg("train", [*SMOKE, "resume=true"], out="killed"))
    for k in ("test/accuracy", "test/ece", "val/best_balanced_accuracy"):
        assert resumed[k] == uninterrupted[k], k


def test_resume_with_a_different_config_is_refused(make_cfg, smoke_run, tmp_path):
    cfg, _ = smoke_run
    shutil.copytree(cfg.paths.output_dir, tmp_path / "copy")
    with pytest.raises(ValueError, match="optim"):
        train(make_cfg("train", [*SMOKE, "resume=true", "optim.optimizer.lr=0.5"], out="copy"))


def test_evaluate_writes_report(make_cfg, smoke_run):
    cfg, metrics = smoke_run
    ckpt = f"{cfg.paths.output_dir}/checkpoints/best.pt"
    ecfg = make_cfg("evaluate", [f"ckpt_path={ckpt}"], out="eval")
    result = evaluate(ecfg)
    assert result["accuracy"] == pytest.approx(metrics["test/accuracy"])
    report = json.loads((Path(ecfg.paths.output_dir) / "report.json").read_text())
    assert report["class_names"] == ["not_stop", "stop"]
    assert sum(map(sum, report["confusion"])) == 128
    for key in ("balanced_accuracy", "stop_precision", "stop_recall", "stop_f1", "ece"):
        assert key in report["metrics"]


def test_evaluate_missing_checkpoint_is_clear(make_cfg, tmp_path):
    ecfg = make_cfg("evaluate", [f"ckpt_path={tmp_path / 'nope.pt'}"], out="eval")
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        evaluate(ecfg)


def test_evaluate_checkpoint_of_another_task_is_clear(make_cfg, smoke_run):
    cfg, _ = smoke_run
    ckpt = f"{cfg.paths.output_dir}/checkpoints/best.pt"
    ecfg = make_cfg(
        "evaluate",
        [
            f"ckpt_path={ckpt}",
            "data=synthetic",
            "task=multiclass",
            "data.image_size=32",
            "data.n_train=256",
            "data.n_val=128",
            "data.n_test=128",
        ],
        out="eval",
    )
    with pytest.raises(ValueError, match="another task"):
        evaluate(ecfg)


def test_foreign_file_is_not_a_checkpoint(tmp_path):
    save_checkpoint({"weights": torch.zeros(2)}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a crowdsign checkpoint"):
        load_checkpoint(tmp_path / "x.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.pt"):
        load_checkpoint(tmp_path / "junk.pt")


def test_atomic_save_leaves_no_partial_file(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        save_checkpoint({"model": {}}, tmp_path / "last.pt")
    assert list(tmp_path.iterdir()) == []


def test_cli_entry_points(tmp_path, cache_dir):
    """`python train.py debug=smoke` then `python evaluate.py ckpt_path=...`, as a user would."""
    run_dir = tmp_path / "cli"
    env_args = [f"paths.cache_dir={cache_dir}", f"hydra.run.dir={run_dir}"]
    done = subprocess.run(
        [sys.executable, str(REPO / "train.py"), *SMOKE, *env_args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"outputs: {run_dir}" in done.stdout
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "evaluate.py"),
            f"ckpt_path={run_dir}/checkpoints/best.pt",
            f"hydra.run.dir={tmp_path / 'cli_eval'}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "balanced_accuracy" in done.stdout
    assert (tmp_path / "cli_eval" / "report.md").is_file()
    bad = subprocess.run(
        [sys.executable, str(REPO / "train.py"), "trainer.epoch=3"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert bad.returncode != 0 and "epoch" in bad.stderr


def test_evaluate_on_another_source_uses_the_checkpoints_task(make_cfg, smoke_run):
    cfg, _ = smoke_run
    ckpt = f"{cfg.paths.output_dir}/checkpoints/best.pt"
    ecfg = make_cfg(
        "evaluate",
        [
            f"ckpt_path={ckpt}",
            "data=synthetic",
            "data.image_size=32",
            "data.split_seed=5",
            "data.n_train=64",
            "data.n_val=64",
            "data.n_test=64",
        ],
        out="eval_other",
    )
    result = evaluate(ecfg)
    assert ecfg.task == "binary" and result["n"] == 64


def test_evaluate_robustness_report(make_cfg, smoke_run):
    cfg, _ = smoke_run
    ckpt = f"{cfg.paths.output_dir}/checkpoints/best.pt"
    ecfg = make_cfg(
        "evaluate",
        [
            f"ckpt_path={ckpt}",
            "report=robustness",
            "report.max_images=32",
            "report.severities=[1,5]",
            "report.families=[fog,fade]",
        ],
        out="robust",
    )
    headline = evaluate(ecfg)
    out = Path(ecfg.paths.output_dir)
    for name in ("robustness.csv", "robustness.md", "robustness_grid.png"):
        assert (out / name).is_file(), name
    assert list((out / "tb").glob("events.out.tfevents.*"))
    assert 0.0 <= headline["mean_corruption_accuracy"] <= 1.0
    assert set(k.split("/")[1] for k in headline if k.startswith("accuracy/")) == {"fog", "fade"}
