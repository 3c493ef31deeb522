"""Prediction rows and the files they stream into: CSV (+ ``skipped.csv``) or one JSON file."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from crowdsign.inference.model import LoadedModel


@dataclass(frozen=True)
class Prediction:
    """One scored file.

    ``predicted`` is the argmax class and ``confidence`` its probability; ``p_stop`` sums the
    stop classes' probabilities; ``stop`` is the binary decision (at ``threshold`` when one is
    set). ``p_stop`` and ``stop`` are ``None`` when the checkpoint's task has no stop class.
    """

    path: str
    predicted: str
    confidence: float
    p_stop: float | None
    stop: bool | None


FIELDS = ("path", "predicted", "confidence", "p_stop", "stop")


def _row(p: Prediction) -> dict[str, Any]:
    row = asdict(p)
    for key in ("confidence", "p_stop"):
        if row[key] is not None:
            row[key] = round(row[key], 6)
    return row


class PredictionWriter(Protocol):
    skip_path: Path

    def write(self, rows: list[Prediction]) -> None: ...
    def skip(self, path: str, reason: str) -> None: ...
    def close(self) -> Path: ...


class CsvWriter:
    """``predictions.csv`` (``path,predicted,confidence,p_stop,stop``; empty cells for None)
    and ``skipped.csv`` (``path,reason``), both flushed batch by batch."""

    def __init__(self, out_dir: Path, *, loaded: LoadedModel, threshold: float | None) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / "predictions.csv"
        self.skip_path = out_dir / "skipped.csv"
        self._file = self.path.open("w", newline="")
        self._skip_file = self.skip_path.open("w", newline="")
        self._rows = csv.DictWriter(self._file, fieldnames=FIELDS)
        self._skips = csv.writer(self._skip_file)
        self._rows.writeheader()
        self._skips.writerow(["path", "reason"])

    def write(self, rows: list[Prediction]) -> None:
        self._rows.writerows(_row(r) for r in rows)
        self._file.flush()

    def skip(self, path: str, reason: str) -> None:
        self._skips.writerow([path, reason])
        self._skip_file.flush()

    def close(self) -> Path:
        self._file.close()
        self._skip_file.close()
        return self.path


class JsonWriter:
    """``predictions.json``: ``{"checkpoint", "class_names", "threshold", "predictions": [...],
    "skipped": [{"path", "reason"}]}``. Predictions are written as they come; the file is
    valid JSON once closed."""

    def __init__(self, out_dir: Path, *, loaded: LoadedModel, threshold: float | None) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.skip_path = out_dir / "predictions.json"
        self._file = self.path.open("w")
        head = {
            "checkpoint": str(loaded.path.resolve()),
            "class_names": list(loaded.class_names),
            "threshold": threshold,
        }
        self._file.write(json.dumps(head)[:-1] + ', "predictions": [')
        self._first = True
        self._skipped: list[dict[str, str]] = []  # kept until close: one line per bad file

    def write(self, rows: list[Prediction]) -> None:
        for r in rows:
            self._file.write(("\n" if self._first else ",\n") + json.dumps(_row(r)))
            self._first = False
        self._file.flush()

    def skip(self, path: str, reason: str) -> None:
        self._skipped.append({"path": path, "reason": reason})

    def close(self) -> Path:
        self._file.write('\n], "skipped": ' + json.dumps(self._skipped, indent=1) + "}\n")
        self._file.close()
        return self.path


WRITERS: dict[str, Callable[..., PredictionWriter]] = {"csv": CsvWriter, "json": JsonWriter}
"""Writers by ``output_format``."""
