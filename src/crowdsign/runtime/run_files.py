"""Read what a training run left in its directory, tolerating whatever is missing.

:class:`RunFiles` gathers the checkpoint's config and class names, ``metrics.json``,
``report.json``, the ``crowd/`` reports and a robustness report; every file is optional and an
absent or unreadable one is noted in ``missing`` instead of raising, so a model card can say
what it could not find.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from crowdsign.runtime.checkpoint import load_checkpoint
from crowdsign.runtime.run_dir import RunDir

log = logging.getLogger(__name__)

BN_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


@dataclass
class RunFiles:
    """The facts of one run directory (each ``None`` / empty when its file is absent).

    Attributes:
        config: the resolved training config (the checkpoint's, else ``.hydra/config.yaml``
            unresolved).
        class_names: output classes of the model.
        epoch: epoch of ``checkpoints/best.pt``.
        n_params: trainable parameters in the checkpoint's weights.
        metrics: ``metrics.json`` (``metrics``, ``history``, ``n_train``, ...).
        report: ``report.json`` (test metrics and confusion).
        load_summary, targets, cost: ``crowd/{load_summary,targets,cost}.json``.
        robustness: rows of ``robustness.csv`` (``corruption, group, severity, accuracy,
            stop_recall, n_images, n_stop``).
        robustness_md: ``robustness.md`` when there is no CSV to tabulate.
        missing: ``file: why`` for each expected file not read.
    """

    run_dir: Path
    config: dict[str, Any] = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)
    epoch: int | None = None
    checkpoint: str | None = None
    n_params: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    load_summary: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)
    cost: dict[str, Any] = field(default_factory=dict)
    robustness: list[dict[str, str]] = field(default_factory=list)
    robustness_md: str | None = None
    missing: list[str] = field(default_factory=list)

    def get(self, dotted: str, default: Any = None) -> Any:
        """``config`` value at ``a.b.c``, or ``default``."""
        node: Any = self.config
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node


def _json(path: Path, files: RunFiles) -> dict[str, Any]:
    rel = path.relative_to(files.run_dir)
    if not path.is_file():
        files.missing.append(f"{rel}: absent")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        files.missing.append(f"{rel}: unreadable ({e})")
        return {}
    if not isinstance(data, dict):
        files.missing.append(f"{rel}: not a JSON object")
        return {}
    return data


def _read_checkpoint(files: RunFiles) -> None:
    run = RunDir(files.run_dir)
    for path in (run.best, run.last):
        rel = path.relative_to(run.root).as_posix()
        if not path.is_file():
            continue
        try:
            state = load_checkpoint(path)
        except ValueError as e:
            files.missing.append(f"{rel}: {e}")
            continue
        files.checkpoint = rel
        files.config = state["config"] if isinstance(state["config"], dict) else {}
        files.class_names = [str(c) for c in state["class_names"]]
        files.epoch = int(state["epoch"])
        files.n_params = sum(
            v.numel() for k, v in state["model"].items() if not k.endswith(BN_BUFFERS)
        )
        return
    files.missing.append(f"{run.best.relative_to(run.root).as_posix()}: absent")
    hydra_cfg = run.hydra / "config.yaml"
    if hydra_cfg.is_file():  # unresolved: interpolations stay as text
        container = OmegaConf.to_container(OmegaConf.load(hydra_cfg), resolve=False)
        files.config = container if isinstance(container, dict) else {}


def _read_robustness(files: RunFiles) -> None:
    for folder in RunDir(files.run_dir).robustness_dirs():
        path = folder.robustness_csv
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as f:
                files.robustness = list(csv.DictReader(f))
            return
        if folder.robustness_md.is_file():
            files.robustness_md = folder.robustness_md.read_text(encoding="utf-8")
            return


def read_run(run_dir: Path) -> RunFiles:
    """Everything :func:`crowdsign.evaluation.model_card.write_model_card` needs from a run.

    Raises:
        FileNotFoundError: ``run_dir`` is not a directory.
        ValueError: it holds neither a checkpoint nor ``.hydra/config.yaml`` (not a run dir).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run directory not found: {run_dir}")
    files = RunFiles(run_dir=run_dir)
    _read_checkpoint(files)
    if not files.config:
        raise ValueError(
            f"{run_dir} holds no checkpoints/best.pt (or last.pt) and no .hydra/config.yaml: "
            "not a training run directory"
        )
    run = RunDir(run_dir)
    files.metrics = _json(run.metrics, files)
    files.report = _json(run.report_json, files)
    files.load_summary = _json(run.crowd / "load_summary.json", files)
    files.targets = _json(run.crowd / "targets.json", files)
    files.cost = _json(run.cost, files)
    if not files.class_names:
        files.class_names = [str(c) for c in files.metrics.get("class_names", [])]
    _read_robustness(files)
    return files
