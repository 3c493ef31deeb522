"""What a finished run was made of: its resolved config and the code's version.

A sweep re-uses a finished run only when both match the job about to run
(:func:`crowdsign.training.sweep.sweep_job`); otherwise the run is stale and runs again.
``run_version.json`` holds ``config_sha256`` (the resolved config without the keys that do not
change a result: paths, thread and worker counts, progress bars, resume) and ``code_sha256``
(every ``.py`` file of the installed package, so uncommitted edits count too).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

import crowdsign
from crowdsign.runtime.run_dir import RunDir

# keys whose value does not change a run's result
IGNORED = (
    "paths",
    "resume",
    "data.cache_dir",
    "data.decode_workers",
    "trainer.progress",
    "trainer.loader_workers",
    "trainer.threads",
    "trainer.log_every",
)


@functools.cache
def code_sha256() -> str:
    """Hash of every ``.py`` file of the ``crowdsign`` package (path and bytes)."""
    root = Path(crowdsign.__file__).parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def config_sha256(cfg: DictConfig | dict[str, Any]) -> str:
    """Hash of the resolved config without :data:`IGNORED` keys."""
    node = cfg
    if OmegaConf.is_config(cfg):
        node = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    node = json.loads(json.dumps(node, default=str))
    for key in IGNORED:
        *parents, leaf = key.split(".")
        d = node
        for p in parents:
            d = d.get(p, {}) if isinstance(d, dict) else {}
        if isinstance(d, dict):
            d.pop(leaf, None)
    return hashlib.sha256(json.dumps(node, sort_keys=True).encode()).hexdigest()


def current_version(cfg: DictConfig | dict[str, Any]) -> dict[str, str]:
    return {"config_sha256": config_sha256(cfg), "code_sha256": code_sha256()}


def write_version(run_dir: Path, version: dict[str, str]) -> None:
    RunDir.write_json(RunDir(run_dir).version, version)


def stale_reason(run_dir: Path, version: dict[str, str]) -> str | None:
    """Why a finished run in ``run_dir`` cannot stand for ``version`` (None: it can)."""
    try:
        stored = RunDir.read_json(RunDir(run_dir).version)
    except (OSError, ValueError):
        return "no run_version.json (made before runs recorded their config and code)"
    changed = [k.removesuffix("_sha256") for k in version if stored.get(k) != version[k]]
    return f"its {' and '.join(changed)} changed" if changed else None
