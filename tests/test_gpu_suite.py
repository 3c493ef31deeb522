"""benchmarks/gpu_suite.py: a tiny section in-process (fast), the whole --quick suite (slow)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def suite_parts(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import suite_parts

    return suite_parts


def test_aggregate_section_times_both_methods(suite_parts):
    rows = suite_parts.aggregate_rows(argparse.Namespace(answers=2_000), torch.device("cpu"))
    assert [r[1].split()[0] for r in rows] == ["DawidSkene", "GLAD"]
    assert all(r[0] == "aggregate" and float(r[2]) >= 0 for r in rows)
    assert "2,000 answers" in rows[0][1]


@pytest.mark.slow
def test_quick_suite_prints_one_table(tmp_path):
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "gpu_suite.py"), "--quick", "--device", "cpu"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    table = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    sections = {line.split("|")[1].strip() for line in table[2:]}
    assert sections == {"throughput", "gtsrb", "aggregate", "packing"}
    assert not any("failed" in line for line in table)
