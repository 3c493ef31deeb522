"""Simulated workers: types, per-worker confusion matrices, class structure, activity.

A worker is a ``(C, C)`` confusion matrix ``M[true, answered]`` (rows sum to 1), an activity
weight (how much of the work they grab) and a speed. Matrices are drawn per worker from its
type; where errors go follows a class-similarity matrix built from the class names, so a stop
sign is mistaken for another red sign far more often than for a blue one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crowdsign.errors import ConfigError

# words in a class name that put it in a colour family (a name starting "not" is in none)
COLOR_FAMILIES: dict[str, tuple[str, ...]] = {
    "red": ("stop", "yield", "no_entry", "prohibitory", "red_octagon"),
    "blue": ("mandatory_blue", "blue"),
}


@dataclass(frozen=True)
class WorkerType:
    """How workers of one kind answer.

    Attributes:
        name: the type's name (the ``type`` column of ``CrowdLabels.workers``).
        accuracy: range a worker's accuracy is drawn from (uniform); unused by spammers.
        errors: how wrong answers are spread, a key of :data:`ERROR_MODELS`.
        seconds: range of the worker's median seconds per answer.
        looks: whether the worker looks at the image (if so, hard images hurt).
    """

    name: str
    accuracy: tuple[float, float]
    errors: str
    seconds: tuple[float, float]
    looks: bool = True


WORKER_TYPES: dict[str, WorkerType] = {
    t.name: t
    for t in (
        WorkerType("reliable", (0.92, 0.99), "similar", (3.0, 6.0)),
        WorkerType("average", (0.75, 0.92), "similar", (2.5, 5.0)),
        WorkerType("sloppy", (0.55, 0.75), "mixed", (1.5, 3.0)),
        WorkerType("spammer", (0.0, 0.0), "random", (0.8, 1.5), looks=False),
        WorkerType("spammer_constant", (0.0, 0.0), "constant", (0.5, 1.2), looks=False),
        WorkerType("adversarial", (0.05, 0.30), "flip", (2.0, 4.0)),
    )
}
GOOD_TYPES = ("reliable", "average")


def class_families(class_names: Sequence[str]) -> np.ndarray:
    """``(C,)`` colour family per class (``"red"``, ``"blue"`` or ``""``)."""
    out = []
    for name in class_names:
        n = re.sub(r"[\s\-]+", "_", name.strip().lower())
        fam = [f for f, words in COLOR_FAMILIES.items() if any(w in n for w in words)]
        out.append(fam[0] if fam and not n.startswith("not") else "")
    return np.asarray(out, dtype=object)


def class_similarity(
    class_names: Sequence[str], *, within: float = 1.0, across: float = 0.1
) -> np.ndarray:
    """``(C, C)`` where a wrong answer goes: zero diagonal, rows summing to 1.

    Classes of one colour family are ``within / across`` times likelier mistakes for each other
    than other classes. Two classes (a binary task) are each other's only mistake.
    """
    c = len(class_names)
    if c < 2:
        return np.zeros((c, c))
    fam = class_families(class_names)
    same = (fam[:, None] == fam[None, :]) & (fam[:, None] != "")
    s = np.where(same, within, across).astype(float)
    np.fill_diagonal(s, 0.0)
    return s / s.sum(1, keepdims=True)


def confusable(class_names: Sequence[str], *, across: float = 0.1) -> np.ndarray:
    """``(C, C)`` what a worker who cannot make the image out answers: the true class or one
    of its family, rows summing to 1 (uniform for a binary task)."""
    c = len(class_names)
    s = class_similarity(class_names, within=1.0, across=across) if c > 1 else np.zeros((c, c))
    raw = s / np.where(s.max(1, keepdims=True) > 0, s.max(1, keepdims=True), 1.0)
    np.fill_diagonal(raw, 1.0)
    return raw / raw.sum(1, keepdims=True)


def partners(similarity: np.ndarray) -> np.ndarray:
    """``(C,)`` each class's likeliest mistake (ties: the next class in cyclic order)."""
    c = len(similarity)
    order = (np.arange(c)[None, :] - np.arange(c)[:, None]) % c  # cyclic distance after i
    score = similarity - 1e-9 * order
    np.fill_diagonal(score, -np.inf)
    return score.argmax(1)


# --- confusion matrices per error model --------------------------------------------------------
def _diagonal(acc: float, c: int, rng: np.random.Generator) -> np.ndarray:
    """Per-class accuracy around ``acc`` (classes are not all equally easy for a worker)."""
    return np.clip(acc + rng.normal(0.0, 0.02, size=c), 0.0, 1.0)


def _spread(acc: float, s: np.ndarray, rng: np.random.Generator, mix: float) -> np.ndarray:
    c = len(s)
    if c < 2:
        return np.ones((c, c))
    errors = np.empty((c, c))
    for t in range(c):
        alpha = 20.0 * (c - 1) * (mix * s[t] + (1 - mix) * (1 - np.eye(c)[t]) / (c - 1))
        errors[t] = 0.0
        errors[t, alpha > 0] = rng.dirichlet(alpha[alpha > 0])
    d = _diagonal(acc, c, rng)
    return (1 - d)[:, None] * errors + np.diag(d)


def _similar(acc: float, s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _spread(acc, s, rng, 1.0)


def _mixed(acc: float, s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return _spread(acc, s, rng, 0.5)


def _random(acc: float, s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.full(s.shape, 1.0 / len(s))


def _constant(acc: float, s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    m = np.zeros(s.shape)
    m[:, rng.integers(len(s))] = 1.0
    return m


def _flip(acc: float, s: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    c = len(s)
    d = _diagonal(acc, c, rng)
    m = np.diag(d)
    m[np.arange(c), partners(s)] += 1 - d
    return m


ErrorModel = Callable[[float, np.ndarray, np.random.Generator], np.ndarray]
ERROR_MODELS: dict[str, ErrorModel] = {
    "similar": _similar,  # errors follow class similarity
    "mixed": _mixed,  # half by similarity, half uniform
    "random": _random,  # answers uniformly at random
    "constant": _constant,  # always the same answer
    "flip": _flip,  # systematically answers the most similar other class
}


# --- pools -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pool:
    """A drawn pool.

    Attributes:
        workers: indexed by worker id; columns ``type``, ``activity`` (share of work wanted,
            sums to 1), ``seconds`` (median seconds per answer), ``looks`` (bool).
        confusion: ``(n_workers, C, C)`` float, ``confusion[w, true, answered]``.
    """

    workers: pd.DataFrame
    confusion: np.ndarray


def allocate(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Exact counts per type summing to ``n`` (largest remainder), so a pool has its shares."""
    names = [k for k, v in shares.items() if v > 0]
    p = np.array([shares[k] for k in names], dtype=float)
    if (np.array(list(shares.values())) < 0).any() or p.sum() <= 0:
        raise ValueError(f"worker type shares must be non-negative and not all zero: {shares}")
    unknown = set(shares) - set(WORKER_TYPES)
    if unknown:
        raise ValueError(f"unknown worker type(s) {sorted(unknown)}; known: {list(WORKER_TYPES)}")
    raw = n * p / p.sum()
    counts = np.floor(raw).astype(int)
    counts[np.argsort(counts - raw, kind="stable")[: n - counts.sum()]] += 1
    return dict(zip(names, counts.tolist(), strict=True))


def activity_weights(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Zipf-like activity ``1 / rank**exponent`` in random order, summing to 1."""
    w = 1.0 / np.arange(1, n + 1) ** exponent
    rng.shuffle(w)
    return w / w.sum()


def draw_pool(
    n_workers: int,
    shares: dict[str, float],
    class_names: Sequence[str],
    rng: np.random.Generator,
    *,
    activity_exponent: float = 0.8,
    across: float = 0.1,
) -> Pool:
    """Draw ``n_workers`` workers with the given type shares and their confusion matrices."""
    counts = allocate(n_workers, shares)
    types = np.repeat(list(counts), list(counts.values()))
    rng.shuffle(types)
    s = class_similarity(class_names, across=across)
    confusion = np.empty((n_workers, len(class_names), len(class_names)))
    seconds = np.empty(n_workers)
    for w, name in enumerate(types):
        t = WORKER_TYPES[name]
        confusion[w] = ERROR_MODELS[t.errors](rng.uniform(*t.accuracy), s, rng)
        seconds[w] = rng.uniform(*t.seconds)
    workers = pd.DataFrame(
        {
            "type": types.astype(str),
            "activity": activity_weights(n_workers, activity_exponent, rng),
            "seconds": seconds,
            "looks": [WORKER_TYPES[t].looks for t in types],
        },
        index=pd.Index([f"w{i:04d}" for i in range(n_workers)], name="worker"),
    )
    return Pool(workers, confusion)


def uniform_pool(
    n_workers: int, c: int, rate: float, rng: np.random.Generator, *, name: str = "uniform"
) -> Pool:
    """Every worker wrong with probability ``rate``, uniformly over the other classes."""
    off = rate / (c - 1) if c > 1 else 0.0
    m = np.full((c, c), off) + np.eye(c) * (1 - rate - off)
    return _same_pool(n_workers, m, name, rng)


def pairflip_pool(
    n_workers: int, similarity: np.ndarray, rate: float, rng: np.random.Generator
) -> Pool:
    """Every worker answers a class's likeliest mistake (:func:`partners`) with prob. ``rate``."""
    c = len(similarity)
    m = np.eye(c) * (1 - rate)
    m[np.arange(c), partners(similarity)] += rate
    return _same_pool(n_workers, m, "pairflip", rng)


def _same_pool(n_workers: int, m: np.ndarray, name: str, rng: np.random.Generator) -> Pool:
    t = WORKER_TYPES["average"]
    workers = pd.DataFrame(
        {
            "type": np.full(n_workers, name).astype(str),
            "activity": activity_weights(n_workers, 0.8, rng),
            "seconds": rng.uniform(*t.seconds, size=n_workers),
            "looks": np.ones(n_workers, dtype=bool),
        },
        index=pd.Index([f"w{i:04d}" for i in range(n_workers)], name="worker"),
    )
    return Pool(workers, np.broadcast_to(m, (n_workers, *m.shape)).copy())


def assign(n_tasks: int, activity: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_tasks, k)`` distinct workers per task, drawn by activity (Gumbel top-k).

    Heavy-tailed activity means a few workers answer most tasks; no worker answers a task
    twice. Works in chunks so memory stays ``O(chunk * n_workers)``.
    """
    n_workers = len(activity)
    if not 1 <= k <= n_workers:
        raise ConfigError(
            f"crowd.labels_per_image={k} must be between 1 and the pool size "
            f"(crowd.n_workers={n_workers}); lower it or add workers"
        )
    out = np.empty((n_tasks, k), dtype=np.int64)
    step = max(1, 4_000_000 // n_workers)
    logw = np.log(activity)[None, :]
    for lo in range(0, n_tasks, step):
        hi = min(n_tasks, lo + step)
        keys = logw + rng.gumbel(size=(hi - lo, n_workers))
        out[lo:hi] = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    return out
