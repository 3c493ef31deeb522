"""Answers on request from an export that already holds them: the replay's crowd.

Each image's answers are put in a seeded random order once; a request for an image reveals its
next answer in that order, skipping (for good) answers of flagged workers and of a worker who
already answered the image. Only answers that exist are ever revealed; an image with none left
cannot be asked again.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from crowdsign.crowd.active.errors import LabelError


class ReplayOracle:
    """Reveal ``export`` (columns task, worker, label, ...) one answer per request.

    Args:
        export: the full answer table of a past project (or a simulated one).
        tasks: ``(T,)`` image ids the loop works on; answers for other ids are ignored.
        seed: the order of each image's answers.
    """

    def __init__(self, export: pd.DataFrame, tasks: np.ndarray, *, seed: int) -> None:
        pos = pd.Index(tasks).get_indexer(export["task"])
        frame = export[pos >= 0].reset_index(drop=True)
        if frame.empty:
            raise LabelError("the export has no answers for these images: nothing to reveal")
        rng = np.random.default_rng(seed)
        order = np.lexsort((rng.random(len(frame)), pos[pos >= 0]))
        self.frame = frame.iloc[order].reset_index(drop=True)
        self.task_pos = pos[pos >= 0][order]
        self.worker = self.frame["worker"].astype(str).to_numpy()
        n_tasks = len(tasks)
        self.start = np.searchsorted(self.task_pos, np.arange(n_tasks))
        self.end = np.searchsorted(self.task_pos, np.arange(n_tasks), side="right")
        self.next = self.start.copy()
        self.seen: list[set[str]] = [set() for _ in range(n_tasks)]
        self.skipped = 0  # answers passed over (flagged worker, repeat worker)

    @property
    def n_available(self) -> int:
        return len(self.frame)

    def can_ask(self, flagged: Iterable[str] = ()) -> np.ndarray:
        """``(T,)`` bool: the image has an unrevealed answer of an unflagged worker left."""
        ahead = np.arange(len(self.frame)) >= self.next[self.task_pos]
        ok = ahead & ~np.isin(self.worker, list(flagged))
        return np.bincount(self.task_pos, weights=ok, minlength=len(self.start)) > 0

    def note_answered(self, answers: pd.DataFrame, tasks: np.ndarray) -> None:
        """Remember who answered which image before the replay (they are not asked again)."""
        pos = pd.Index(tasks).get_indexer(answers["task"])
        for t, w in zip(pos, answers["worker"].astype(str), strict=True):
            if t >= 0:
                self.seen[t].add(w)

    def ask(
        self, plan: pd.DataFrame, tasks: np.ndarray, flagged: Iterable[str] = ()
    ) -> pd.DataFrame:
        """Reveal ``plan.wanted`` answers for each ``plan.task``; return the revealed rows."""
        flagged = set(flagged)
        pos = pd.Index(tasks).get_indexer(plan["task"])
        out: list[int] = []
        for t, wanted in zip(pos, plan["wanted"].to_numpy(), strict=True):
            seen = self.seen[t]
            got = 0
            while got < wanted and self.next[t] < self.end[t]:
                i = self.next[t]
                self.next[t] += 1
                if self.worker[i] in flagged or self.worker[i] in seen:
                    self.skipped += 1
                    continue
                seen.add(self.worker[i])
                out.append(i)
                got += 1
        return self.frame.iloc[out].reset_index(drop=True)
