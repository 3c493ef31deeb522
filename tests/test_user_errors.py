"""A user's mistake ends the command with one line naming the thing and what to do, exit
status 2; a bug keeps its traceback; ``HYDRA_FULL_ERROR=1`` shows the traceback of both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO
from entrypoints import run_main

import crowdsign.pipeline
from crowdsign import cli
from crowdsign.crowd.io.examples import FILES
from crowdsign.errors import ConfigError, UserError

EXAMPLES = REPO / "data" / "examples"


@pytest.fixture
def train_args(tmp_path, cache_dir):
    """A smoke train's command line, in tmp, on the session's rendered world."""
    return ["debug=smoke", f"hydra.run.dir={tmp_path / 'run'}", f"paths.cache_dir={cache_dir}"]


def assert_one_line(outcome, *named: str) -> str:
    assert outcome.code == 2, (outcome.code, outcome.err[-2000:])
    assert len(outcome.err_lines) == 1, outcome.err
    line = outcome.err_lines[0]
    assert line.startswith("error: ")
    for thing in named:
        assert thing in line, line
    assert "Traceback" not in outcome.out + outcome.err
    return line


# --- checkpoints: evaluate, export, predict ---------------------------------------------------
@pytest.mark.parametrize(
    ("main", "extra"),
    [
        (cli.evaluate, []),
        (cli.export_main, []),
        (cli.predict_main, ["inputs=."]),
    ],
    ids=["evaluate", "export", "predict"],
)
def test_missing_or_corrupt_checkpoint(tmp_path, capsys, main, extra):
    run = [f"hydra.run.dir={tmp_path / 'out'}", *extra]
    missing = run_main(main, [f"ckpt_path={tmp_path / 'nope.pt'}", *run], capsys)
    assert_one_line(missing, "checkpoint not found", "nope.pt", "best.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    corrupt = run_main(main, [f"ckpt_path={junk}", *run], capsys)
    assert_one_line(corrupt, "cannot read checkpoint", "junk.pt")


@pytest.mark.slow  # a fresh interpreter imports torch: ~10 s; the in-process tests cover the rest
def test_the_script_itself_exits_2_with_one_line(tmp_path):
    """The real ``evaluate.py`` process: exit status 2 and one line on stderr."""
    done = subprocess.run(
        [sys.executable, str(REPO / "evaluate.py"), f"ckpt_path={tmp_path / 'nope.pt'}",
         f"hydra.run.dir={tmp_path / 'out'}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nope.pt" in lines[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr


# --- crowd exports ------------------------------------------------------------------------------
def test_truncated_label_studio_json(tmp_path, capsys, train_args):
    cut = tmp_path / "cut.json"
    cut.write_text((EXAMPLES / FILES["labelstudio"]).read_text()[:300])
    outcome = run_main(cli.train, [*train_args, "crowd=labelstudio", f"crowd.path={cut}"], capsys)
    assert_one_line(outcome, "cut.json", "not JSON", "export the project again")
    # the run's log file keeps the line too
    (log,) = (tmp_path / "run").glob("*.log")
    assert "cut.json" in log.read_text()


def test_mturk_csv_without_its_answer_column(tmp_path, capsys, train_args):
    table = pd.read_csv(EXAMPLES / FILES["mturk"])
    bad = tmp_path / "batch.csv"
    table.drop(columns=[c for c in table.columns if c.startswith("Answer.")]).to_csv(
        bad, index=False
    )
    outcome = run_main(cli.train, [*train_args, "crowd=mturk", f"crowd.path={bad}"], capsys)
    assert_one_line(outcome, "batch.csv", "Answer.", "crowd.answer_field")


# --- config values: caught before any data loads ------------------------------------------------
@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("crowd.labels_per_image=0", "crowd.labels_per_image=0"),
        ("crowd.noise=1.5", "crowd.noise=1.5"),
        ("trainer.batch_size=0", "trainer.batch_size=0"),
        ("trainer.epochs=0", "trainer.epochs=0"),
        ("trainer.precision=bf17", "trainer.precision='bf17'"),
        ("trainer.balance=weight", "trainer.balance='weight'"),
        ("robust.target=sof", "robust.target='sof'"),
        ("task=multi", "task='multi'"),
        ("augment.preset=havy", "augment.preset='havy'"),
        ("data.n_train=0", "data.n_train=0"),
    ],
)
def test_bad_value_fails_before_data_loads(tmp_path, capsys, override, named):
    cache = tmp_path / "cache"  # a fresh cache: nothing may be rendered into it
    args = ["debug=smoke", f"hydra.run.dir={tmp_path / 'run'}", f"paths.cache_dir={cache}"]
    line = assert_one_line(run_main(cli.train, [*args, override], capsys), named)
    assert f"pass {named.split('=')[0]}=<" in line  # what to do
    assert not cache.exists()


def test_bad_value_in_a_sweep_is_recorded_and_the_sweep_goes_on(tmp_path, capsys, cache_dir):
    sweep = tmp_path / "sweep"
    outcome = run_main(
        cli.train,
        ["-m", "debug=smoke", "trainer.batch_size=0", "hydra/launcher=basic",
         f"hydra.sweep.dir={sweep}", f"paths.cache_dir={cache_dir}"],
        capsys,
    )  # fmt: skip
    assert outcome.code == 0, outcome.err[-2000:]
    (error,) = sweep.glob("**/error.json")
    record = json.loads(error.read_text())
    assert record["type"] == "ConfigError" and "trainer.batch_size=0" in record["message"]


# --- tracebacks: for bugs, and when asked ---------------------------------------------------------
def test_full_error_shows_the_traceback_of_a_user_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(ConfigError, match="trainer.batch_size=0"):
        run_main(
            cli.train,
            ["debug=smoke", "trainer.batch_size=0", f"hydra.run.dir={tmp_path / 'run'}"],
            capsys,
        )


def test_a_bug_keeps_its_traceback(tmp_path, capsys, monkeypatch):
    def bug(cfg):
        raise KeyError("a bug, not the user's fault")

    monkeypatch.setattr(crowdsign.pipeline, "train", bug)
    outcome = run_main(cli.train, ["debug=smoke", f"hydra.run.dir={tmp_path / 'run'}"], capsys)
    assert outcome.code == 1
    assert "Traceback" in outcome.err and "in bug" in outcome.err
    assert not issubclass(KeyError, UserError)


def test_predict_inputs_that_do_not_exist(tmp_path, capsys, smoke_run):
    cfg, _ = smoke_run
    best = Path(cfg.paths.output_dir) / "checkpoints" / "best.pt"
    outcome = run_main(
        cli.predict_main,
        [f"ckpt_path={best}", f"inputs={tmp_path / 'nowhere'}", f"hydra.run.dir={tmp_path}"],
        capsys,
    )
    assert_one_line(outcome, "nowhere")
