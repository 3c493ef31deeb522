"""Checkpoints: written atomically (temp file + rename), read with ``weights_only=True``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from crowdsign.errors import InputError, MissingInputError


def save_checkpoint(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` to ``path`` so a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a crowdsign checkpoint safely; clear errors for a missing or foreign file."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(
            f"checkpoint not found: {path}; pass the path of a run's "
            "checkpoints/best.pt (or last.pt)"
        )
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # corrupt, truncated, or not a torch file
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise InputError(
            f"cannot read checkpoint {path} ({first}): it is truncated or not a torch file; "
            "pass a checkpoint written by crowdsign's train (checkpoints/best.pt)"
        ) from e
    required = {"model", "config", "class_names", "epoch"}
    missing = required - set(state) if isinstance(state, dict) else required
    if missing:
        raise InputError(
            f"{path} is not a crowdsign checkpoint (missing {sorted(missing)}); "
            "pass a checkpoint written by crowdsign's train (checkpoints/best.pt)"
        )
    return state
