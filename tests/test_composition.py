"""Every option of every config group composes with ``debug=smoke`` and with every experiment,
and trains; every experiment's sweep runs under ``debug=smoke`` to a report.

Options are found by listing ``configs/<group>/*.yaml``, so an option someone adds is tested
without touching this file; a new data source or crowd export needs a tiny fixture below (the
test says so).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import CONFIG_DIR, REPO, compose_config
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf, open_dict
from PIL import Image
from test_data_coco import write_coco
from test_data_gtsrb import write_gtsrb
from test_data_manifest import manifest

from crowdsign.checks import validate_config
from crowdsign.crowd.io.examples import URL_PREFIX
from crowdsign.crowd.io.matrix import write_matrix

# overlays (debug, experiment) are tested against the groups; hydra holds launcher settings;
# report is evaluate's group
OVERLAYS = ("debug", "experiment")
# labels is a study's labeling condition: it picks the crowd and the aggregator itself, so it
# is not combined with other crowd choices (tests/test_scaling_sweep.py composes every one)
BUNDLES = ("labels",)
NOT_TRAIN = ("hydra", "report", *OVERLAYS, *BUNDLES)
# the smallest run that still takes an optimizer step, on the session's one smoke world
SMALLEST = [
    "debug=smoke",
    "trainer.epochs=1",
    "trainer.max_steps=1",
    "trainer.batch_size=4",
    "trainer.eval_batch_size=64",
]
CPU = ["trainer.device=cpu", "trainer.loader_workers=0"]  # presets that ask for CUDA, on any box


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def _train_groups() -> list[str]:
    """The groups ``train.yaml``'s defaults list names (label.py's groups are not train's)."""
    defaults = OmegaConf.load(CONFIG_DIR / "train.yaml").defaults
    named = {next(iter(d)) for d in defaults if not isinstance(d, str)}
    return sorted(g for g in named if (CONFIG_DIR / g).is_dir() and g not in NOT_TRAIN)


GROUPS = _train_groups()
GROUP_OPTIONS = [(g, o) for g in GROUPS for o in options(g)]


# --- tiny inputs, written once per session --------------------------------------------------
def write_signs(root: Path, per_class: int = 40) -> Path:
    """``root/{stop,not_stop}/NNN.png``: the same file names in both class folders, as a
    platform's image URLs often have them (``.../stop/0.png`` vs ``.../not_stop/0.png``)."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(("not_stop", "stop")):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            image = rng.integers(0, 60, size=(12, 12, 3), dtype=np.uint8)
            image[..., 0] += np.uint8(150 * c)  # red encodes the class
            Image.fromarray(image).save(root / name / f"{i:03d}.png")
    return root


SIGNS = ("not_stop", "stop")  # the folder fixture's classes, in index order


def crowd_answers(root: Path) -> pd.DataFrame:
    """Three answers per image of ``root`` (one worker in ten wrong), with every optional
    column an export can carry."""
    tasks = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png"))
    rows = []
    for i, task in enumerate(tasks):
        truth = task.split("/")[0]
        for w in range(3):
            wrong = (i + w) % 10 == 0
            label = ("not_stop" if truth == "stop" else "stop") if wrong else truth
            rows.append((task, f"W{w}", label, 4.0 + w, 0.02, "approved"))
    a = pd.DataFrame(rows, columns=["task", "worker", "label", "seconds", "reward", "status"])
    a["submitted_at"] = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(
        np.arange(len(a)), unit="s"
    )
    return a


def write_export(target: str, answers: pd.DataFrame, out: Path) -> Path:
    """Write ``answers`` with the writer beside the crowd option's reader (``read_x`` →
    ``write_x`` in the same module)."""
    module, reader = target.rsplit(".", 1)
    writer = getattr(importlib.import_module(module), reader.replace("read_", "write_", 1), None)
    if writer is None:
        pytest.fail(f"no writer next to {target}: add one, or a fixture for it here")
    name = reader.removeprefix("read_")
    suffix = {"labelstudio": ".json", "toloka": ".tsv"}.get(name, ".csv")
    kwargs = {} if name == "long" else {"prefix": URL_PREFIX}
    if name == "labelstudio":
        answers = answers.drop(columns=["reward", "status"])
    return writer(answers, out / f"{name}{suffix}", **kwargs)


@pytest.fixture(scope="session")
def inputs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("inputs")
    signs = write_signs(base / "signs")
    return {
        "signs": signs,
        "answers_dir": base,
        "manifest": manifest(base / "manifest", 24)[0],
        "coco": write_coco(base / "coco", photos=12),
        "gtsrb": write_gtsrb(base / "gtsrb"),
    }


def data_overrides(option: str, inputs: dict[str, Path]) -> list[str]:
    """What ``data=<option>`` needs to read a tiny fixture instead of real data."""
    if option == "synthetic":
        return []  # debug=smoke's tiny world, rendered once into the session cache
    if option in ("folder", "labelme"):  # labelme: an ImageFolder tree preset
        return [f"data.root={inputs['signs']}"]
    if option == "manifest":
        return [f"data.path={inputs['manifest']}"]
    if option == "coco":
        return [f"data.root={inputs['coco']}", "data.annotations=ann.json", "data.images=images"]
    if option in ("gtsrb", "gtsrb_devtest"):
        return [f"data.root={inputs['gtsrb']}"]
    pytest.fail(f"data={option} has no tiny fixture: add one to data_overrides in {__file__}")


def group_overrides(group: str, option: str, inputs: dict[str, Path]) -> list[str]:
    """The option, plus whatever it needs to run here (a fixture, a CPU device)."""
    chosen = [f"{group}={option}"]
    if group == "data":
        return chosen + data_overrides(option, inputs)
    if group == "trainer":
        return chosen + CPU
    if group == "crowd":
        crowd = compose_config("train", chosen).crowd
        # an export reader (`in` is False for a missing ??? value, hence keys()): answers
        # for the folder fixture, written in its format
        if "file_list" in crowd.keys():  # noqa: SIM118  (a dense answer matrix)
            answers = crowd_answers(inputs["signs"])
            out = inputs["answers_dir"]
            path = write_matrix(
                answers, out / "matrix.txt", file_list=out / "files.txt", classes=SIGNS
            )
            return [
                *chosen,
                f"crowd.path={path}",
                f"crowd.file_list={out / 'files.txt'}",
                f"crowd.classes=[{','.join(SIGNS)}]",
                "data=folder",
                *data_overrides("folder", inputs),
            ]
        if "path" in crowd.keys():  # noqa: SIM118
            answers = crowd_answers(inputs["signs"])
            path = write_export(crowd._target_, answers, inputs["answers_dir"])
            return [*chosen, f"crowd.path={path}", "data=folder", *data_overrides("folder", inputs)]
    return chosen


# --- composition (fast) ------------------------------------------------------------------------
def test_groups_are_found():
    assert {"data", "crowd", "aggregate", "augment", "model", "optim", "robust"} <= set(GROUPS)
    assert all(options(g) for g in GROUPS)
    assert {"scaling", "workstation"} <= set(options("experiment"))


def _compose_with_hydra(overrides: list[str]):
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            return compose("train", overrides=overrides, return_hydra_config=True)
    finally:
        GlobalHydra.instance().clear()


@pytest.mark.parametrize("experiment", options("experiment"))
def test_every_option_composes_with_every_experiment(experiment):
    """An experiment sets values, not keys only one option has: ``experiment=scaling
    model=resnet18`` composes, and so does every option of every group (sweep axes aside),
    with and without ``debug=smoke``. Each compose picks one option of every group, cycling,
    so every option is met; every other compose adds ``debug=smoke``."""
    choices = {g: options(g) for g in GROUPS}
    for i in range(max(len(o) for o in choices.values())):
        picked = {g: o[i % len(o)] for g, o in choices.items()}
        smoke = ["debug=smoke"] if i % 2 else []
        cfg = _compose_with_hydra(
            [f"experiment={experiment}", *smoke, *(f"{g}={o}" for g, o in picked.items())]
        )
        assert {g: cfg.hydra.runtime.choices[g] for g in GROUPS} == picked
        assert cfg.trainer.epochs == 2 if smoke else cfg.trainer.epochs >= 1


@pytest.mark.parametrize("experiment", options("experiment"))
def test_smoke_shrinks_every_sweep(experiment):
    """``debug=smoke`` keeps every axis of an experiment's grid but few points, so the
    sweep of a smoke test takes minutes, not hours (see configs/debug/experiment/)."""
    full = _compose_with_hydra([f"experiment={experiment}"])
    smoke = _compose_with_hydra([f"experiment={experiment}", "debug=smoke"])
    full_params, smoke_params = full.hydra.sweeper.params, smoke.hydra.sweeper.params
    for cfg in (full, smoke):
        with open_dict(cfg):
            del cfg.hydra
        validate_config(cfg)
    assert smoke.model._target_.endswith("TinyCNN") and smoke.trainer.epochs == 2
    params, small = full_params or {}, smoke_params or {}
    assert set(small) == set(params)
    points = math.prod(len(str(v).split(",")) for v in small.values())
    assert points <= 4, f"experiment={experiment} under debug=smoke sweeps {points} points"
    sizes = str(small.get("data.train_size", "0")).split(",")
    assert all(int(s) <= smoke.data.get("n_train", 10**9) for s in sizes)


# --- every option trains (one optimizer step) ---------------------------------------------------
@pytest.mark.parametrize(
    ("group", "option"), GROUP_OPTIONS, ids=[f"{g}={o}" for g, o in GROUP_OPTIONS]
)
def test_every_group_option_trains_under_smoke(make_cfg, inputs, group, option):
    from crowdsign.pipeline import train

    cfg = make_cfg("train", [*SMALLEST, *group_overrides(group, option, inputs)])
    validate_config(cfg)
    metrics = train(cfg)
    out = Path(cfg.paths.output_dir)
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert history[0]["train/steps"] >= 1  # at least one optimizer step
    assert 0.0 <= metrics["test/accuracy"] <= 1.0
    assert (out / "checkpoints" / "best.pt").is_file()


# --- every experiment's sweep, under debug=smoke, to a report (slow) --------------------------
def _run(script: str, args: list[str], cwd: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CROWDSIGN_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, str(REPO / script), *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
        env=env,
    )


@pytest.mark.slow
@pytest.mark.parametrize("experiment", options("experiment"))
def test_every_experiment_sweep_runs_under_smoke_to_a_report(
    tmp_path, cache_dir, inputs, experiment
):
    cfg = _compose_with_hydra([f"experiment={experiment}", "debug=smoke"])
    extra = CPU if cfg.trainer.device.startswith("cuda") else []
    if cfg.hydra.runtime.choices.data != "synthetic":  # a real source: its tiny fixture
        extra += [f"data={'folder'}", *data_overrides("folder", inputs)]
    if cfg.hydra.mode is None or cfg.hydra.mode.name != "MULTIRUN":  # a single-run preset
        run = _run("train.py", [f"experiment={experiment}", "debug=smoke", *extra,
                                f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, cache_dir)  # fmt: skip
        assert run.returncode == 0, run.stderr[-3000:]
        assert (tmp_path / "run" / "report.md").is_file()
        return
    sweep_dir = tmp_path / "sweep"
    args = ["-m", f"experiment={experiment}", "debug=smoke", *extra, "hydra.launcher.n_jobs=1"]
    done = _run("train.py", [*args, f"hydra.sweep.dir={sweep_dir}"], tmp_path, cache_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    runs = sorted(sweep_dir.glob("**/metrics.json"))
    errors = sorted(sweep_dir.glob("**/error.json"))
    assert runs and not errors, [json.loads(e.read_text())["message"] for e in errors]
    report = _run(
        "evaluate.py",
        ["report=scaling", f"sweep_dir={sweep_dir}", f"hydra.run.dir={tmp_path / 'eval'}"],
        tmp_path,
        cache_dir,
    )
    assert report.returncode == 0, report.stderr[-3000:]
    md = (sweep_dir / "report" / "report.md").read_text()
    assert f"{len(runs)} finished" in md
