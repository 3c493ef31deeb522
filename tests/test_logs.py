"""Logs: progress bars only on a terminal; a run's log file gets one line per epoch."""

from __future__ import annotations

import re

from entrypoints import run_main

from crowdsign import cli


def test_no_progress_bars_off_a_terminal_and_one_log_line_per_epoch(tmp_path, capsys, cache_dir):
    run = tmp_path / "run"
    outcome = run_main(
        cli.train,
        ["debug=smoke", "trainer.progress=true", f"hydra.run.dir={run}",
         f"paths.cache_dir={cache_dir}"],
        capsys,
    )  # fmt: skip
    assert outcome.code == 0, outcome.err[-2000:]
    printed = outcome.out + outcome.err  # captured: not a terminal
    assert "\r" not in printed and "it/s" not in printed
    (log,) = run.glob("*.log")
    text = log.read_text()
    assert "\r" not in text
    epochs = re.findall(r"epoch (\d+)/2 ", text)
    assert epochs == ["1", "2"]  # one line each
