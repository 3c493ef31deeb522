"""Read a sweep dir: one row per run (config, metrics, cost, error) and the planned grid.

A run dir is any folder under the sweep dir with ``.hydra/config.yaml`` (Hydra writes it when
the job starts). Its status is ``done`` (``metrics.json``), ``failed`` (``error.json``, see
:mod:`crowdsign.training.sweep`) or ``incomplete`` (started, neither file: still running or
killed). The planned grid comes from the sweep's ``multirun.yaml`` (basic sweeper: the cartesian
product of ``hydra.sweeper.params`` and the command line), so a partial sweep can say what is
missing.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from crowdsign.errors import MissingInputError
from crowdsign.runtime.run_dir import RunDir

# override keys the report reads as named axes; every other override (but seed) is a "variant"
AXIS_KEYS = (
    "data.train_size",
    "crowd",
    "crowd.noise",
    "crowd.labels_per_image",
    "aggregate",
    "robust.target",
    "robust.label_smoothing",
    "robust.gce_q",
    "aggregate.target",  # the three keys' names in runs saved before issue 14
    "trainer.label_smoothing",
    "trainer.gce_q",
    "robust",  # a recipe of the four keys above; its effect is read back as the method
    "labels",  # a labeling condition (crowd, noise, k, aggregator), read back from the config
)
SEED_KEY = "seed"
METRIC_KEYS = (
    "test/accuracy",
    "test/balanced_accuracy",
    "test/stop_recall",
    "test/stop_precision",
    "train/label_noise",
    "time/total_s",
)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Sweep:
    """What a sweep dir holds.

    Attributes:
        root: the sweep dir.
        runs: one row per run dir (see :func:`run_row` for the columns).
        planned: each planned job's overrides, or None without a basic-sweeper ``multirun.yaml``.
        missing: planned jobs with no run dir; columns ``cell`` and ``seed``.
    """

    root: Path
    runs: pd.DataFrame
    planned: list[frozenset[str]] | None
    missing: pd.DataFrame


def _load_yaml(path: Path) -> Any:
    with open(path) as f:
        return yaml.load(f, Loader=_LOADER)


def _select(cfg: Any, key: str) -> Any:
    """``cfg[key]`` resolved, or None if absent or not resolvable outside Hydra."""
    value = OmegaConf.select(cfg, key, default=None, throw_on_resolution_failure=False)
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def _select_either(cfg: Any, key: str, old_key: str) -> Any:
    """``key``, or ``old_key`` in a run saved before the key moved there."""
    value = _select(cfg, key)
    return _select(cfg, old_key) if value is None else value


def _split(override: str) -> tuple[str, str]:
    key, _, value = override.partition("=")
    return key.lstrip("+~"), value


def cell_of(overrides: list[str] | frozenset[str]) -> str:
    """A cell's name: the job's overrides without the seed, sorted (as in the run dir name)."""
    return ",".join(sorted(o for o in overrides if _split(o)[0] != SEED_KEY))


def variant_of(overrides: list[str] | frozenset[str], common: frozenset[str]) -> str:
    """Overrides that are neither a named axis, the seed, nor common to every run."""
    keep = [o for o in overrides if _split(o)[0] not in (*AXIS_KEYS, SEED_KEY) and o not in common]
    return ",".join(sorted(keep))


def method_label(
    aggregate: str | None, target: str | None, smoothing: float | None, gce_q: float | None = None
) -> str:
    """How targets are made and used: ``ds``, ``ds/soft``, ``mv/ls=0.1``, ``mv/gce=0.7``."""
    label = aggregate or "labels"
    if target == "soft":
        label += "/soft"
    if smoothing:
        label += f"/ls={smoothing:g}"
    if gce_q and gce_q == gce_q:  # absent from older runs' configs: None or NaN
        label += f"/gce={gce_q:g}"
    return label


def _number(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def run_row(run_dir: Path, root: Path) -> dict[str, Any]:
    """One row of a sweep's table: the run's axes, metrics, labeling cost and error (if any)."""
    run = RunDir(run_dir)
    cfg = OmegaConf.create(run.read_yaml("config.yaml") or {})
    overrides = run.read_yaml("overrides.yaml") or []
    choices = run.hydra_choices()
    crowd_target = str(_select(cfg, "crowd._target_") or "")
    row: dict[str, Any] = {
        "run": str(run_dir.relative_to(root)),
        "overrides": sorted(overrides or []),
        "cell": cell_of(overrides or []),
        "seed": _select(cfg, "seed"),
        "train_size": _select(cfg, "data.train_size"),
        "data": choices.get("data"),
        "task": _select(cfg, "data.task"),
        "model": choices.get("model"),
        "crowd": choices.get("crowd") or crowd_target.rsplit(".", 1)[-1] or None,
        "noise": _number(_select(cfg, "crowd.noise")),
        "k": _number(_select(cfg, "crowd.labels_per_image")),
        "method": method_label(
            choices.get("aggregate"),
            _select_either(cfg, "robust.target", "aggregate.target"),
            _number(_select_either(cfg, "robust.label_smoothing", "trainer.label_smoothing"))
            or None,
            _number(_select_either(cfg, "robust.gce_q", "trainer.gce_q")) or None,
        ),
        "epochs": _select(cfg, "trainer.epochs"),
    }
    stored = run.read_metrics()
    if stored is not None:
        row["status"] = "done"
        row["size"] = stored.get("n_train")
        row["git_sha"] = stored.get("git_sha")
        for key in METRIC_KEYS:
            row[key] = _number(stored.get("metrics", {}).get(key))
    else:
        row["status"] = "failed" if run.error.is_file() else "incomplete"
    if row.get("size") is None:
        size = row["train_size"]
        row["size"] = size if isinstance(size, int) and not isinstance(size, bool) else None
    error = run.read_error() if row["status"] == "failed" else None
    if error is not None:
        row["error_type"] = error.get("type")
        row["error_message"] = (str(error.get("message", "")).strip().splitlines() or [""])[0]
    row.update(_cost(run))
    return row


def _cost(run: RunDir) -> dict[str, float]:
    """Labeling cost of a run at the platform's pay and at the fair wage (NaN if unknown)."""
    report = run.read_cost_report()
    return {
        "cost": _number(report.get("total")),
        "fair_cost": _number(report.get("fair_total")),
        "answers": _number(report.get("answers")),
    }


def find_run_dirs(root: Path) -> list[Path]:
    """Every run dir under ``root`` (skipping the report and submitit folders), sorted."""
    found = []
    for config in root.rglob(".hydra/config.yaml"):
        run_dir = config.parent.parent
        parts = run_dir.relative_to(root).parts
        if parts and parts[0] in ("report", ".submitit"):
            continue
        found.append(run_dir)
    return sorted(found)


def planned_jobs(root: Path) -> list[frozenset[str]] | None:
    """Each job's overrides as the basic sweeper built them from ``multirun.yaml``, or None.

    Same rule as Hydra's ``BasicSweeper``: ``hydra.sweeper.params`` then the command line's
    task overrides; a later value for a key replaces an earlier one; the jobs are the product.
    """
    path = root / "multirun.yaml"
    if not path.is_file():
        return None
    hydra = (_load_yaml(path) or {}).get("hydra", {})
    sweeper = hydra.get("sweeper", {}) or {}
    if not str(sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return None
    params = [f"{k}={v}" for k, v in (sweeper.get("params") or {}).items()]
    task = list((hydra.get("overrides", {}) or {}).get("task", []) or [])
    per_key: dict[str, list[str]] = {}
    for override in OverridesParser.create().parse_overrides([*params, *task]):
        key = override.get_key_element()
        if override.is_sweep_override():
            per_key[key] = [f"{key}={v}" for v in override.sweep_string_iterator()]
        else:
            per_key[key] = [f"{key}={override.get_value_element_as_str()}"]
    return [frozenset(job) for job in itertools.product(*per_key.values())]


def collect(sweep_dir: str | Path) -> Sweep:
    """Read every run of ``sweep_dir`` and what its launch planned."""
    root = Path(sweep_dir)
    if not root.is_dir():
        raise MissingInputError(f"sweep_dir {root} is not a directory")
    rows = [run_row(d, root) for d in find_run_dirs(root)]
    runs = pd.DataFrame(rows)
    planned = planned_jobs(root)
    if runs.empty:
        runs = pd.DataFrame(columns=["run", "overrides", "cell", "seed", "status", "size"])
    else:
        common = frozenset.intersection(*(frozenset(o) for o in runs["overrides"]))
        runs["variant"] = [variant_of(o, common) for o in runs["overrides"]]
        runs["size"] = pd.to_numeric(runs["size"], errors="coerce")
    seen = {frozenset(o) for o in runs["overrides"]}
    missing_jobs = [job for job in planned or [] if job not in seen]
    missing = pd.DataFrame(
        {
            "cell": [cell_of(job) for job in missing_jobs],
            "seed": [
                next((_split(o)[1] for o in job if _split(o)[0] == SEED_KEY), None)
                for job in missing_jobs
            ],
        }
    )
    return Sweep(root=root, runs=runs, planned=planned, missing=missing)
