"""Sweep jobs: skip finished runs, resume cut-off ones, record failures; the sweep configs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONFIG_DIR, REPO
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

import crowdsign.pipeline
from crowdsign.cli import run_train
from crowdsign.runtime import run_version
from crowdsign.runtime.run_version import current_version, stale_reason, write_version
from crowdsign.training import sweep
from crowdsign.training.sweep import sweep_job

STORED = {"test/accuracy": 0.9, "test/balanced_accuracy": 0.85}


def _cfg(run_dir: Path):
    return OmegaConf.create({"paths": {"output_dir": str(run_dir)}, "resume": False})


def _never(cfg):
    raise AssertionError("a finished run must not train again")


def _finished(run_dir: Path, cfg) -> None:
    (run_dir / "metrics.json").write_text(json.dumps({"metrics": STORED, "history": []}))
    write_version(run_dir, current_version(cfg))


def test_finished_run_is_skipped_with_its_stored_metrics(tmp_path):
    _finished(tmp_path, _cfg(tmp_path))
    before = (tmp_path / "metrics.json").stat().st_mtime_ns
    assert sweep_job(_cfg(tmp_path), _never) == STORED
    assert (tmp_path / "metrics.json").stat().st_mtime_ns == before


FRESH = {"test/accuracy": 0.5, "test/balanced_accuracy": 0.5}


def _job(seed: int, run_dir: Path):
    return OmegaConf.create(
        {
            "paths": {"output_dir": str(run_dir)},
            "resume": False,
            "seed": seed,
            "trainer": {"threads": 1, "progress": False},
        }
    )


def test_a_finished_run_of_another_config_or_code_is_stale_and_runs_again(tmp_path, monkeypatch):
    _finished(tmp_path, _job(0, tmp_path))
    # what does not change a result does not make a run stale
    same = _job(0, tmp_path)
    same.trainer.threads, same.trainer.progress = 4, True
    assert sweep_job(same, _never) == STORED
    # another config: runs again, and the new run is recorded as current
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.pt").write_bytes(b"")
    seen = {}

    def record(cfg):
        seen["resume"] = cfg.resume
        (tmp_path / "metrics.json").write_text(json.dumps({"metrics": FRESH}))
        return FRESH

    assert sweep_job(_job(1, tmp_path), record) == FRESH
    assert seen["resume"] is False  # never resumed from a stale run's checkpoint
    assert stale_reason(tmp_path, current_version(_job(1, tmp_path))) is None
    # another code version: runs again
    monkeypatch.setattr(run_version, "code_sha256", lambda: "edited")
    assert stale_reason(tmp_path, current_version(_job(1, tmp_path))) == "its code changed"
    assert sweep_job(_job(1, tmp_path), lambda cfg: FRESH) == FRESH


def test_a_run_without_a_recorded_version_is_stale(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps({"metrics": STORED, "history": []}))
    assert "no run_version.json" in stale_reason(tmp_path, current_version(_cfg(tmp_path)))
    assert sweep_job(_cfg(tmp_path), lambda cfg: FRESH) == FRESH


def test_failure_is_recorded_and_returns_nan(tmp_path):
    def boom(cfg):
        raise ValueError("crowd.noise=0.9 is too high")

    metrics = sweep_job(_cfg(tmp_path), boom)
    assert math.isnan(metrics["test/balanced_accuracy"]) and math.isnan(metrics["test/accuracy"])
    error = json.loads((tmp_path / "error.json").read_text())
    assert error["type"] == "ValueError"
    assert error["message"] == "crowd.noise=0.9 is too high"
    assert "in boom" in error["traceback"] and "ValueError" in error["traceback"]
    # a retry that succeeds leaves no stale error behind
    assert sweep_job(_cfg(tmp_path), lambda cfg: STORED) == STORED
    assert not (tmp_path / "error.json").exists()


def test_only_rank_zero_writes_the_error(tmp_path):
    def boom(cfg):
        raise RuntimeError("x")

    sweep_job(_cfg(tmp_path), boom, is_main=False)
    assert not (tmp_path / "error.json").exists()


def test_interrupt_is_not_swallowed(tmp_path):
    def interrupted(cfg):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep_job(_cfg(tmp_path), interrupted)


def test_cut_off_run_resumes_from_last_checkpoint(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.pt").write_bytes(b"")
    seen = {}

    def record(cfg):
        seen["resume"] = cfg.resume
        return STORED

    sweep_job(_cfg(tmp_path), record)
    assert seen["resume"] is True
    fresh = tmp_path / "fresh"
    sweep_job(_cfg(fresh), record)
    assert seen["resume"] is False


def test_run_train_raises_outside_a_sweep_and_records_inside(tmp_path, monkeypatch):
    def boom(cfg):
        raise ValueError("bad point")

    monkeypatch.setattr(crowdsign.pipeline, "train", boom)
    monkeypatch.setattr(sweep, "in_multirun", lambda: False)
    with pytest.raises(ValueError, match="bad point"):
        run_train(_cfg(tmp_path))
    assert not (tmp_path / "error.json").exists()
    monkeypatch.setattr(sweep, "in_multirun", lambda: True)
    assert math.isnan(run_train(_cfg(tmp_path))["test/balanced_accuracy"])
    assert (tmp_path / "error.json").is_file()


def _compose_with_hydra(overrides: list[str]):
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            return compose("train", overrides=overrides, return_hydra_config=True)
    finally:
        GlobalHydra.instance().clear()


def _grid(params) -> dict[str, list[str]]:
    return {k: str(v).split(",") for k, v in params.items()}


def test_scaling_grid_is_declared_in_config():
    cfg = _compose_with_hydra(["experiment=scaling"])
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher")
    assert "seed" in cfg.hydra.job.config.override_dirname.exclude_keys
    grid = _grid(cfg.hydra.sweeper.params)
    sizes = [int(s) for s in grid["data.train_size"]]
    assert all(b == 2 * a for a, b in zip(sizes, sizes[1:], strict=False))
    assert sizes[-1] / sizes[0] >= 100  # two orders of magnitude
    assert len(grid["seed"]) >= 3
    assert len(grid["labels"]) == 10
    assert math.prod(len(v) for v in grid.values()) == 240  # the size the README times
    # every size has its own schedule entry (not the fallback)
    for size in sizes:
        point = _compose_with_hydra(["experiment=scaling", f"data.train_size={size}"])
        entry = point.trainer.schedule[f"n{size}"]
        assert point.trainer.epochs == entry.epochs and point.trainer.batch_size == entry.batch_size
        assert point.trainer.batch_size <= size  # drop_last would leave no batch


def _condition(extra: list[str], labels: str) -> tuple:
    c = _compose_with_hydra([*extra, f"labels={labels}"])
    noise = c.crowd.get("noise") or 0.0
    return (
        c.hydra.runtime.choices.crowd,
        noise,
        c.crowd.labels_per_image,
        c.aggregate.estimator._target_.rsplit(".", 1)[-1],
    )


@pytest.mark.parametrize(
    "experiment",
    ["scaling", "scaling_gtsrb", "scaling_gtsrb_binary", "noise_robust", "scaling_gpu"],
)
def test_study_grids_hold_no_degenerate_duplicates(experiment):
    grid = _grid(_compose_with_hydra([f"experiment={experiment}"]).hydra.sweeper.params)
    assert "crowd.noise" not in grid and "crowd.labels_per_image" not in grid
    conditions = [_condition([f"experiment={experiment}"], name.strip()) for name in grid["labels"]]
    assert len(set(conditions)) == len(conditions)
    for crowd, noise, k, method in conditions:
        if crowd in ("clean", "uniform", "classcond") and noise == 0:
            assert crowd == "clean" and k == 1  # noise 0: one clean curve, not one per k
        if k == 1 and experiment != "noise_robust":
            assert method == "MajorityVote"  # at k = 1 Dawid-Skene is the vote
    clean = [c for c in conditions if c[0] == "clean"]
    assert len(clean) == 1  # the reference curve of every noisy one


def test_gtsrb_binary_study_uses_class_conditional_noise():
    cfg = _compose_with_hydra(["experiment=scaling_gtsrb_binary"])
    assert cfg.task == "binary" and cfg.trainer.balance == "weights"
    labels = _grid(cfg.hydra.sweeper.params)["labels"]
    noisy = [n for n in labels if n != "clean"]
    assert noisy and all(_condition([], n)[0] == "classcond" for n in noisy)


def test_gpu_preset_and_slurm_launcher_compose():
    cfg = _compose_with_hydra(["experiment=scaling_gpu", "hydra/launcher=slurm"])
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher")
    assert cfg.hydra.launcher.partition is None  # the cluster default until a user names one
    assert cfg.hydra.launcher.gpus_per_node == 1 and cfg.hydra.launcher.timeout_min > 0
    grid = _grid(cfg.hydra.sweeper.params)
    assert len(grid["seed"]) >= 3 and len(grid["data.train_size"]) >= 8
    assert cfg.trainer.epochs > 0 and cfg.trainer.device == "cuda"


def test_noise_robust_sweep_compares_recipes_on_the_scaling_setup():
    cfg = _compose_with_hydra(["experiment=noise_robust"])
    grid = _grid(cfg.hydra.sweeper.params)
    assert set(grid["robust"]) == {"none", "ds_soft", "ls", "gce"}
    assert "aggregate" not in grid  # the recipe picks the aggregator
    assert "clean" in grid["labels"]  # the noise tax's reference is the clean curve
    ds = _compose_with_hydra(["experiment=noise_robust", "labels=uniform_k3_mv", "robust=ds_soft"])
    assert ds.aggregate.estimator._target_.endswith("DawidSkene")
    assert len(grid["seed"]) >= 3
    scaling = _compose_with_hydra(["experiment=scaling"])
    for size in grid["data.train_size"]:
        point = _compose_with_hydra(["experiment=noise_robust", f"data.train_size={size}"])
        same = _compose_with_hydra(["experiment=scaling", f"data.train_size={size}"])
        assert (point.trainer.epochs, point.trainer.batch_size) == (
            same.trainer.epochs,
            same.trainer.batch_size,
        )
    assert cfg.data.image_size == scaling.data.image_size
    assert cfg.model == scaling.model


@pytest.mark.parametrize(
    ("recipe", "aggregator", "target", "smoothing", "gce_q"),
    [
        ("none", "MajorityVote", "hard", 0.0, 0.0),
        ("soft", "MajorityVote", "soft", 0.0, 0.0),
        ("ds_soft", "DawidSkene", "soft", 0.0, 0.0),
        ("ls", "MajorityVote", "hard", 0.1, 0.0),
        ("gce", "MajorityVote", "hard", 0.0, 0.7),
    ],
)
def test_robust_recipes_set_targets_and_loss(recipe, aggregator, target, smoothing, gce_q):
    for extra in ([], ["experiment=noise_robust"]):
        cfg = _compose_with_hydra([*extra, f"robust={recipe}"])
        assert cfg.aggregate.estimator._target_.endswith(aggregator)
        assert cfg.robust.target == target
        assert cfg.robust.label_smoothing == smoothing and cfg.robust.gce_q == gce_q


def test_gtsrb_grid_is_a_smaller_scaling_grid():
    cfg = _compose_with_hydra(["experiment=scaling_gtsrb", "task=binary"])
    assert cfg.hydra.runtime.choices.data == "gtsrb"
    assert cfg.trainer.balance == "weights"  # 2.4% stop signs
    grid = _grid(cfg.hydra.sweeper.params)
    sizes = [int(s) for s in grid["data.train_size"]]
    assert all(b == 2 * a for a, b in zip(sizes, sizes[1:], strict=False))
    assert math.prod(len(v) for v in grid.values()) < 384
    for size in sizes:
        point = _compose_with_hydra(["experiment=scaling_gtsrb", f"data.train_size={size}"])
        assert f"n{size}" in point.trainer.schedule
        assert point.trainer.batch_size <= size


SMOKE = ["debug=smoke", "trainer.max_steps=2", "crowd=uniform"]


def _train_multirun(args: list[str], cwd: Path, cache_dir: Path) -> subprocess.CompletedProcess:
    # the cache comes from the environment: a paths.cache_dir override would name the run dirs
    return subprocess.run(
        [sys.executable, str(REPO / "train.py"), "-m", *SMOKE, *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**os.environ, "CROWDSIGN_CACHE": str(cache_dir)},
    )


def _run_dir(sweep_dir: Path, part: str) -> Path:
    """The one run dir (seed 0) whose name contains ``part``."""
    (found,) = [d for d in sweep_dir.glob("*/seed=0") if part in d.parent.name]
    return found


@pytest.mark.slow
def test_local_multirun_records_failure_skips_finished_and_reports(tmp_path, cache_dir):
    """Two points on the joblib launcher, one failing; re-launch; then the scaling report."""
    sweep_dir = tmp_path / "sweep"
    args = [
        "crowd.noise=0.1,0.9",  # 0.9 is invalid for a binary task: that job fails
        "hydra/launcher=local",
        f"hydra.sweep.dir={sweep_dir}",
    ]
    done = _train_multirun(args, tmp_path, cache_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    ok, bad = _run_dir(sweep_dir, "crowd.noise=0.1"), _run_dir(sweep_dir, "crowd.noise=0.9")
    assert (ok / "metrics.json").is_file() and not (ok / "error.json").exists()
    error = json.loads((bad / "error.json").read_text())
    assert error["type"] == "ConfigError" and "crowd.noise=0.9" in error["message"]
    assert not (bad / "metrics.json").exists()

    finished = (ok / "metrics.json").stat().st_mtime_ns
    again = _train_multirun(args, tmp_path, cache_dir)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already finished, skipped" in again.stdout + again.stderr
    assert (ok / "metrics.json").stat().st_mtime_ns == finished
    assert (bad / "error.json").is_file()  # retried, failed again, recorded again

    report = subprocess.run(
        [
            sys.executable,
            str(REPO / "evaluate.py"),
            "report=scaling",
            f"sweep_dir={sweep_dir}",
            f"hydra.run.dir={tmp_path / 'eval'}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert report.returncode == 0, report.stderr[-3000:]
    md = (sweep_dir / "report" / "report.md").read_text()
    assert "1 finished**, 1 failed" in md and "(multirun.yaml): 2" in md
    assert f"{bad.relative_to(sweep_dir)}`: ConfigError" in md


@pytest.mark.slow
def test_submitit_local_launcher_runs_the_sweep(tmp_path, cache_dir):
    """The SLURM code path (submitit) with its local executor: one process per job."""
    sweep_dir = tmp_path / "sweep"
    done = _train_multirun(
        [
            "data.train_size=64,128",
            "hydra/launcher=submitit_local",
            "hydra.launcher.timeout_min=10",
            f"hydra.sweep.dir={sweep_dir}",
        ],
        tmp_path,
        cache_dir,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for size in (64, 128):
        run = _run_dir(sweep_dir, f"data.train_size={size}")
        assert json.loads((run / "metrics.json").read_text())["n_train"] == size
    assert list((sweep_dir / ".submitit").rglob("*_result.pkl"))
