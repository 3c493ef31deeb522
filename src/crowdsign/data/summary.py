"""The one load-summary type: what a source (images or crowd answers) kept, left out, and why."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crowdsign.markdown import table

log = logging.getLogger(__name__)


@dataclass
class LoadSummary:
    """What a source loaded and what it left out, and why: image sources and crowd readers,
    simulators and buyers alike.

    Attributes:
        source: the source's name and path, e.g. ``"gtsrb:/data/gtsrb"``, ``"mturk batch.csv"``.
        read: input items looked at (files, manifest rows, COCO images, answer rows).
        kept: what the result holds (images in the splits before ``train_size``; answers).
        dropped: inputs left out, counted by reason (rows a reader could not use; COCO boxes
            below ``min_box_size``); a crowd reader keeps ``read == kept + sum(dropped)``.
        examples: the first ``max_examples`` of each reason, e.g. ``"row 12: label 'x'"``.
        skipped: every bad image dropped with ``on_bad_image="skip"``, as ``(where, reason)``.
        unit: what ``kept`` counts: ``"answers"`` or ``"images"`` (the reports' wording).
    """

    source: str
    read: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unit: str = "answers"
    max_examples: int = 5

    def drop(self, reason: str, count: int = 1, examples: Sequence[str] = ()) -> None:
        """Count ``count`` inputs left out for ``reason``; keep the first few ``examples``."""
        self.dropped[reason] += count
        bucket = self.examples.setdefault(reason, [])
        bucket.extend(list(examples)[: max(0, self.max_examples - len(bucket))])

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append((where, reason))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "read": self.read, "kept": self.kept}
        if self.unit == "images":
            out["skipped"] = len(self.skipped)
            out["skipped_files"] = [{"file": w, "reason": r} for w, r in self.skipped]
        out["dropped"] = dict(self.dropped)
        if self.unit != "images":
            out["examples"] = self.examples
        return out

    def to_markdown(self) -> str:
        if self.unit == "images":
            title = "Image load summary"
            counts = f"kept {self.kept} images, skipped {len(self.skipped)} bad inputs"
        else:
            title = "Crowd load summary"
            counts = f"kept {self.kept}, dropped {sum(self.dropped.values())}"
        lines = [f"# {title}: {self.source}", "", f"read {self.read}, {counts}"]
        if self.dropped:
            rows = [
                [reason, n, "; ".join(self.examples.get(reason, []))]
                for reason, n in self.dropped.most_common()
            ]
            lines += ["", *table(["reason", "count", "examples"], rows, align="lrl")]
        if self.skipped:
            lines += ["", *table(["skipped", "reason"], self.skipped, align="ll")]
        return "\n".join(lines) + "\n"

    def log(self) -> None:
        """INFO line with the counts; a WARNING listing the first skipped inputs, if any."""
        log.info(
            "%s: read %d, kept %d images, skipped %d, left out %s",
            self.source,
            self.read,
            self.kept,
            len(self.skipped),
            dict(self.dropped) or "nothing",
        )
        if self.skipped:
            shown = "; ".join(f"{w}: {r}" for w, r in self.skipped[:10])
            more = f" (and {len(self.skipped) - 10} more)" if len(self.skipped) > 10 else ""
            log.warning(
                "%s: skipped %d bad inputs: %s%s", self.source, len(self.skipped), shown, more
            )

    # Round trip through the array cache, so a cache hit reports the same summary.
    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "summary_counts": np.asarray([self.read, self.kept], dtype=np.int64),
            "summary_skipped": np.asarray(self.skipped, dtype=str).reshape(-1, 2),
            "summary_dropped_reason": np.asarray(list(self.dropped), dtype=str),
            "summary_dropped_count": np.asarray(list(self.dropped.values()), dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, source: str, arrays: dict[str, np.ndarray]) -> LoadSummary:
        read, kept = (int(x) for x in arrays["summary_counts"])
        return cls(
            source=source,
            unit="images",
            read=read,
            kept=kept,
            skipped=[(str(w), str(r)) for w, r in arrays["summary_skipped"]],
            dropped=Counter(
                {
                    str(r): int(n)
                    for r, n in zip(
                        arrays["summary_dropped_reason"],
                        arrays["summary_dropped_count"],
                        strict=True,
                    )
                }
            ),
        )
