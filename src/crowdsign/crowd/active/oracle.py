"""Answers on request from an export that already holds them: the replay's crowd.

Each image's answers are put in a seeded random order once. A request for an image reveals one
of its unrevealed answers, never one of a flagged worker or of a worker who already answered the
image; which one is the request's *routing*: without a router the next in the seeded order (a
platform's open task: whoever comes first), with one the candidate the router scores highest
(the requester assigns the task to a worker it trusts, as platforms allow through
qualifications or allow-lists). Only answers that exist are ever revealed; an image with none
left cannot be asked again. In a replay, routing can only choose among the workers who did
answer the image in the export, a subset of the pool a live project could route to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from crowdsign.crowd.active.errors import LabelError

Router = Callable[[np.ndarray], np.ndarray]
"""``(workers,) -> (scores,)``: higher is asked first (e.g. a sampled worker accuracy)."""


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
        # a row is used once revealed, or once its worker answered its image (no repeat worker)
        self.used = np.zeros(len(self.frame), dtype=bool)

    @property
    def n_available(self) -> int:
        return len(self.frame)

    def _open(self, flagged: Iterable[str]) -> np.ndarray:
        return ~self.used & ~np.isin(self.worker, list(flagged))

    def can_ask(self, flagged: Iterable[str] = ()) -> np.ndarray:
        """``(T,)`` bool: the image has an unrevealed answer of an unflagged worker left."""
        ok = self._open(flagged)
        return np.bincount(self.task_pos, weights=ok, minlength=len(self.start)) > 0

    def _mark(self, t: int, worker: str) -> None:
        rows = slice(self.start[t], self.end[t])
        self.used[rows] |= self.worker[rows] == worker

    def note_answered(self, answers: pd.DataFrame, tasks: np.ndarray) -> None:
        """Remember who answered which image before the replay (they are not asked again)."""
        pos = pd.Index(tasks).get_indexer(answers["task"])
        for t, w in zip(pos, answers["worker"].astype(str), strict=True):
            if t >= 0:
                self._mark(t, w)

    def ask(
        self,
        plan: pd.DataFrame,
        tasks: np.ndarray,
        flagged: Iterable[str] = (),
        router: Router | None = None,
    ) -> pd.DataFrame:
        """Reveal ``plan.wanted`` answers for each ``plan.task``; return the revealed rows."""
        ok = self._open(set(flagged))
        pos = pd.Index(tasks).get_indexer(plan["task"])
        out: list[int] = []
        for t, wanted in zip(pos, plan["wanted"].to_numpy(), strict=True):
            for _ in range(int(wanted)):
                rows = np.arange(self.start[t], self.end[t])
                rows = rows[ok[rows] & ~self.used[rows]]
                if not len(rows):
                    break
                i = rows[0] if router is None else rows[int(np.argmax(router(self.worker[rows])))]
                self._mark(t, self.worker[i])
                out.append(int(i))
        return self.frame.iloc[out].reset_index(drop=True)
