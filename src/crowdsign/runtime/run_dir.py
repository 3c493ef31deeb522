"""The layout of a run directory: the one place that names its files and reads and writes them.

A training run (Hydra's run dir, ``paths.output_dir``) holds::

    .hydra/{config,overrides,hydra}.yaml   Hydra's record of the composed config
    checkpoints/{best,last}.pt             atomic checkpoints (:mod:`crowdsign.runtime.checkpoint`)
    metrics.json                           final metrics, history, how the model was selected
    run_version.json                       config and code hashes (:mod:`.run_version`)
    error.json                             a failed sweep job's error (instead of metrics.json)
    report.{json,md}, confusion.png        the test report (:mod:`crowdsign.evaluation.report`)
    robustness.{csv,md}, robustness_grid.png  ``evaluate.py report=robustness``
    model_card.md                          :mod:`crowdsign.evaluation.model_card`
    data_summary.json                      what a real source read, kept and skipped
    crowd/                                 load summary, targets, cost and worker reports
    tb/                                    TensorBoard events

An ``evaluate.py`` output dir uses the same names for its report, ``tb/`` and robustness files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class RunDir:
    """Paths of one run directory's files, and how each is read and written."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # --- names ---------------------------------------------------------------------------------
    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def best(self) -> Path:
        """``checkpoints/best.pt``: the selected epoch (with temperature and threshold)."""
        return self.checkpoints / "best.pt"

    @property
    def last(self) -> Path:
        """``checkpoints/last.pt``: the latest epoch, to resume from."""
        return self.checkpoints / "last.pt"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.json"

    @property
    def version(self) -> Path:
        return self.root / "run_version.json"

    @property
    def error(self) -> Path:
        return self.root / "error.json"

    @property
    def report_json(self) -> Path:
        return self.root / "report.json"

    @property
    def report_md(self) -> Path:
        return self.root / "report.md"

    @property
    def confusion_png(self) -> Path:
        return self.root / "confusion.png"

    @property
    def model_card(self) -> Path:
        return self.root / "model_card.md"

    @property
    def data_summary(self) -> Path:
        return self.root / "data_summary.json"

    @property
    def crowd(self) -> Path:
        """``crowd/``: the crowd reports (:func:`crowdsign.crowd.reports.write_crowd_reports`)."""
        return self.root / "crowd"

    @property
    def cost(self) -> Path:
        return self.crowd / "cost.json"

    @property
    def tb(self) -> Path:
        return self.root / "tb"

    @property
    def hydra(self) -> Path:
        return self.root / ".hydra"

    @property
    def robustness_csv(self) -> Path:
        """``evaluate.py report=robustness``: one row per corruption × severity."""
        return self.root / "robustness.csv"

    @property
    def robustness_md(self) -> Path:
        return self.root / "robustness.md"

    @property
    def robustness_grid(self) -> Path:
        return self.root / "robustness_grid.png"

    def robustness_dirs(self) -> tuple[RunDir, RunDir]:
        """Where a robustness report may be: the run dir itself or its ``robustness/``."""
        return self, RunDir(self.root / "robustness")

    # --- reading and writing -------------------------------------------------------------------
    @staticmethod
    def read_json(path: Path) -> Any:
        return json.loads(Path(path).read_text(encoding="utf-8"))

    @staticmethod
    def write_json(path: Path, payload: Any, *, indent: int | None = 2) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(payload, indent=indent))

    def read_yaml(self, name: str) -> Any:
        """``.hydra/<name>`` parsed (None when absent)."""
        path = self.hydra / name
        if not path.is_file():
            return None
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_LOADER)

    def hydra_choices(self) -> dict[str, Any]:
        """The config group options Hydra chose for the run (``.hydra/hydra.yaml``)."""
        record = self.read_yaml("hydra.yaml") or {}
        return record.get("hydra", {}).get("runtime", {}).get("choices", {}) or {}

    def read_metrics(self) -> dict[str, Any] | None:
        """``metrics.json`` as written (None when absent)."""
        return self.read_json(self.metrics) if self.metrics.is_file() else None

    def read_error(self) -> dict[str, Any] | None:
        return self.read_json(self.error) if self.error.is_file() else None

    def read_cost_report(self) -> dict[str, Any]:
        """The ``report`` of ``crowd/cost.json`` (empty when absent)."""
        return self.read_json(self.cost).get("report", {}) if self.cost.is_file() else {}
