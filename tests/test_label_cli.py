"""``label.py``: the next batch's files, the replay's outputs, and one-line errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from crowdsign.cli import run_label

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    """12 tiny images in a class tree, one answer for 8 of them, a dense export and its truth."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    tasks = [f"stop/s{i}.png" for i in range(6)] + [f"not_stop/o{i}.png" for i in range(6)]
    for t in tasks:
        (root / t).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(root / t)
    truth = ["stop"] * 6 + ["not_stop"] * 6
    workers = [f"W{j}" for j in range(5)]
    dense = pd.DataFrame(
        [
            (
                t,
                w,
                y if rng.random() < 0.85 else ({"stop": "not_stop"}[y] if y == "stop" else "stop"),
            )
            for t, y in zip(tasks, truth, strict=True)
            for w in workers
        ],
        columns=["task", "worker", "label"],
    )
    dense["reward"], dense["seconds"] = 0.05, 12.0
    so_far = dense.groupby("task").head(1).iloc[:8]
    paths = {"root": root, "so_far": tmp_path / "so_far.csv", "dense": tmp_path / "dense.csv"}
    so_far.to_csv(paths["so_far"], index=False)
    dense.to_csv(paths["dense"], index=False)
    paths["truth"] = tmp_path / "truth.csv"
    pd.DataFrame({"task": [*tasks, "nowhere.png"], "truth": [*truth, "stop"]}).to_csv(
        paths["truth"], index=False
    )
    return paths


def _next(project, *extra):
    return [
        "data=folder",
        f"data.root={project['root']}",
        "data.split_fractions=[1.0,0.0,0.0]",
        "data.image_size=8",
        "crowd=long",
        f"crowd.path={project['so_far']}",
        *extra,
    ]


def test_next_batch_files(make_cfg, project, tmp_path, capsys):
    cfg = make_cfg(
        "label",
        # no calibration start: the unanswered images come first
        _next(
            project,
            "budget.dollars=3",
            "batch.size=5",
            "batch.url_prefix=https://b/",
            "strategy.explore=0",
        ),
    )
    run_label(cfg)
    out = tmp_path / "run"
    batch = pd.read_csv(out / "next_batch.csv")
    assert list(batch.columns[:3]) == ["image", "answers_wanted", "why"]
    assert batch["answers_wanted"].sum() == 5
    assert (batch["why"].iloc[:4] == "no answer yet").all()  # the 4 unanswered images first
    mturk = pd.read_csv(out / "mturk_batch_input.csv")
    assert list(mturk.columns) == ["image_url"]
    assert mturk["image_url"].tolist() == ["https://b/" + t for t in batch["image"]]
    toloka = pd.read_csv(out / "toloka_tasks.tsv", sep="\t")
    assert list(toloka.columns) == ["INPUT:image"] and len(toloka) == 5
    ls = json.loads((out / "labelstudio_tasks.json").read_text())
    assert [t["data"]["image"] for t in ls] == mturk["image_url"].tolist()
    plan = (out / "plan.md").read_text()
    assert "$0.30" in plan  # 5 answers x $0.05 x 1.2 (fee)
    assert "fair wage" in capsys.readouterr().out


def test_next_batch_cut_to_budget(make_cfg, project, tmp_path, capsys):
    # 8 answers so far cost $0.48; $1.20 leaves 12 answers at $0.06
    cfg = make_cfg("label", _next(project, "budget.dollars=1.2", "batch.size=50"))
    run_label(cfg)
    batch = pd.read_csv(tmp_path / "run" / "next_batch.csv")
    assert batch["answers_wanted"].sum() <= 12
    assert "cut to 12" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["budget.dollars=0.5"], "below one answer per image"),
        (["budget.dollars=1", "crowd.path={dense}"], "is spent"),  # 60 answers cost $3.60
        (["batch.size=0", "budget.dollars=5"], "batch.size=0"),
        (["batch.platform=fax", "budget.dollars=5"], "batch.platform='fax'"),
    ],
)
def test_next_batch_errors_exit_2_one_line(make_cfg, project, capsys, extra, message):
    extra = [x.format(dense=project["dense"]) for x in extra]
    cfg = make_cfg("label", _next(project, *extra))
    with pytest.raises(SystemExit) as e:
        run_label(cfg)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_replay_outputs_and_truth_note(make_cfg, project, tmp_path):
    cfg = make_cfg(
        "label",
        [
            "mode=replay",
            "crowd=long",
            f"crowd.path={project['dense']}",
            f"truth={project['truth']}",
            "budget.answers_per_task=3",
            "budget.grid_step=1",
            "batch.size=4",
            "seeds=[0,1]",
            "aggregate=mv",
        ],
    )
    run_label(cfg)
    out = tmp_path / "run"
    table = pd.read_csv(out / "replay.csv")
    assert set(table["strategy"]) == {"adaptive", "uniform"}
    assert sorted(set(table["budget_per_task"])) == [1.0, 2.0, 3.0]
    assert (table["seeds"] == 2).all()
    assert (table["answers"] <= table["budget_per_task"] * 12 + 1e-9).all()
    assert table["label_accuracy"].between(0, 1).all()
    assert "1 task(s) not in the export ignored" in (out / "replay.md").read_text()
    assert (out / "replay.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["budget.answers_per_task=0.5"], "below one answer per image"),
        (["mode=nonsense"], "mode='nonsense'"),
        (["strategy.route=best"], "strategy.route='best'"),
    ],
)
def test_replay_errors_exit_2(make_cfg, project, capsys, extra, message):
    cfg = make_cfg("label", ["mode=replay", "crowd=long", f"crowd.path={project['dense']}", *extra])
    with pytest.raises(SystemExit) as e:
        run_label(cfg)
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_replay_empty_export_exit_2(make_cfg, tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("task,worker,label\n")
    cfg = make_cfg("label", ["mode=replay", "crowd=long", f"crowd.path={empty}"])
    with pytest.raises(SystemExit) as e:
        run_label(cfg)
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and "\n" not in err and str(empty) in err


def test_label_py_exit_2_without_traceback(project, tmp_path):
    """The real entry point: a budget below one answer per image is one line on stderr."""
    cmd = [
        sys.executable,
        str(REPO / "label.py"),
        *_next(project, "budget.dollars=0.01"),
        f"hydra.run.dir={tmp_path / 'run'}",
        f"paths.cache_dir={tmp_path / 'cache'}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "below one answer per image" in lines[0]
    assert "Traceback" not in done.stderr


def test_next_batch_reads_model_predictions(make_cfg, project, tmp_path):
    """A predict.py predictions.csv joins the posterior (matched by path suffix)."""
    preds = tmp_path / "predictions.csv"
    rows = [(f"/abs/images/stop/s{i}.png", "stop", 0.99, 0.99, True) for i in range(6)]
    rows += [(f"/abs/images/not_stop/o{i}.png", "not_stop", 0.99, 0.01, False) for i in range(6)]
    pd.DataFrame(rows, columns=["path", "predicted", "confidence", "p_stop", "stop"]).to_csv(
        preds, index=False
    )
    base = ["budget.dollars=3", "batch.size=12"]
    run_label(make_cfg("label", _next(project, *base), out="plain"))
    run_label(make_cfg("label", _next(project, *base, f"predictions={preds}"), out="model"))
    plain = pd.read_csv(tmp_path / "plain" / "next_batch.csv")
    model = pd.read_csv(tmp_path / "model" / "next_batch.csv")
    assert len(model) < len(plain)  # images where the model backs their answer settle
    asked_again = model[model["answers_so_far"] > 0]
    predicted = asked_again["image"].str.split("/").str[0]  # the model is right on every image
    assert (asked_again["label_so_far"] != predicted).all()  # only where model and crowd differ
