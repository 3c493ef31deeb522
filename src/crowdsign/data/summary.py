"""What an image source loaded and what it skipped, and why."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@dataclass
class ImageLoadSummary:
    """The load summary of one image source.

    Attributes:
        source: the source's name and root, e.g. ``"gtsrb:/data/gtsrb"``.
        read: input items looked at (files, manifest rows, COCO images).
        kept: images in the returned splits, before ``train_size``.
        skipped: every bad input dropped with ``on_bad_image="skip"``, as ``(where, reason)``.
        dropped: other inputs left out on purpose, counted by reason (e.g. COCO boxes below
            ``min_box_size``).
    """

    source: str
    read: int = 0
    kept: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append((where, reason))

    def drop(self, reason: str, count: int = 1) -> None:
        self.dropped[reason] += count

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "kept": self.kept,
            "skipped": len(self.skipped),
            "skipped_files": [{"file": w, "reason": r} for w, r in self.skipped],
            "dropped": dict(self.dropped),
        }

    def to_markdown(self) -> str:
        lines = [
            f"# Image load summary: {self.source}",
            "",
            f"read {self.read}, kept {self.kept} images, skipped {len(self.skipped)} bad inputs",
        ]
        if self.dropped:
            lines += ["", "| left out | count |", "|---|---:|"]
            lines += [f"| {reason} | {n} |" for reason, n in self.dropped.most_common()]
        if self.skipped:
            lines += ["", "| skipped | reason |", "|---|---|"]
            lines += [f"| {w} | {r} |" for w, r in self.skipped]
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
    def from_arrays(cls, source: str, arrays: dict[str, np.ndarray]) -> ImageLoadSummary:
        read, kept = (int(x) for x in arrays["summary_counts"])
        return cls(
            source=source,
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
