"""One job of a Hydra multirun: skip it if it already finished, record it if it fails.

A sweep (``python train.py -m ...``) names each run dir by its overrides, so re-launching the
same command with ``hydra.sweep.dir=<the old dir>`` lands every job in its old dir:

- a run dir with ``metrics.json`` is finished: the job returns the stored metrics untouched,
  if its resolved config and code version (``run_version.json``) match the job's; a stale
  run (either changed, or made before runs recorded them) runs again and says why;
- a run dir with ``checkpoints/last.pt`` but no ``metrics.json`` was cut off: it resumes;
- a job that raises writes ``error.json`` (exception type, message, traceback) in its run dir
  and returns NaN metrics, so one bad point does not stop the other hundreds.

A single ``python train.py`` is not a sweep and still raises (see :func:`in_multirun`).
"""

from __future__ import annotations

import logging
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from crowdsign.runtime.run_dir import RunDir
from crowdsign.runtime.run_version import current_version, stale_reason, write_version

log = logging.getLogger(__name__)

# what a failed job returns: the keys a sweeper or `run_train` reads, as NaN
FAILED_METRICS = ("test/accuracy", "test/balanced_accuracy")


def in_multirun() -> bool:
    """True inside a Hydra multirun job (``-m`` or ``hydra.mode=MULTIRUN``)."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def finished_metrics(run_dir: Path) -> dict[str, float] | None:
    """The stored metrics of a finished run, or None if ``run_dir`` has none (or unreadable)."""
    path = RunDir(run_dir).metrics
    if not path.is_file():
        return None
    try:
        return {k: float(v) for k, v in RunDir.read_json(path)["metrics"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("unreadable %s: running again", path)
        return None


def write_error(run_dir: Path, exc: BaseException) -> Path:
    """Write ``error.json`` (type, message, traceback, time) for ``exc`` into ``run_dir``."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path = RunDir(run_dir).error
    RunDir.write_json(path, record)
    return path


def sweep_job(
    cfg: DictConfig, train_fn: Callable[[DictConfig], dict[str, float]], *, is_main: bool = True
) -> dict[str, float]:
    """Run ``train_fn(cfg)`` as one sweep job: skip if finished, resume if cut off, never raise.

    Args:
        cfg: the job's composed config; ``cfg.paths.output_dir`` is its run dir.
        train_fn: the training function (``crowdsign.pipeline.train``).
        is_main: whether this process writes files (rank 0 under torchrun).

    Returns:
        The run's metrics: stored ones for a finished run, NaN ``FAILED_METRICS`` for a failure.
    """
    run_dir = Path(cfg.paths.output_dir)
    run = RunDir(run_dir)
    version = current_version(cfg)
    stored = finished_metrics(run_dir)
    if stored is not None:
        why = stale_reason(run_dir, version)
        if why is None:
            log.info("already finished, skipped: %s", run_dir)
            return stored
        log.warning("stale run, running again (%s): %s", why, run_dir)
        run.metrics.unlink()
        shutil.rmtree(run.checkpoints, ignore_errors=True)  # no resume from stale
    if run.last.is_file() and not cfg.resume:
        log.info("resuming a cut-off run from %s", run.last)
        cfg.resume = True
    run.error.unlink(missing_ok=True)  # a retry: the old failure is history
    try:
        metrics = train_fn(cfg)
        if is_main:
            write_version(run_dir, version)
        return metrics
    except Exception as exc:  # a sweep records any failure and goes on
        if is_main:
            path = write_error(run_dir, exc)
            log.error("run failed (%s: %s); recorded in %s", type(exc).__name__, exc, path)
        return dict.fromkeys(FAILED_METRICS, float("nan"))
