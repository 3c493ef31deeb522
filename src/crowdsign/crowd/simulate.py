"""Simulated worker pools that label an ImageSet, and the no-crowd source-label passthrough.

A pool has workers of a few types, each with an accuracy drawn from its type's range; answers
get worse on images the renderer marked as hard (``meta["difficulty"]`` in [0, 1]); a few
workers do most of the tasks (Zipf-like activity) and no worker answers a task twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crowdsign.crowd.answers import CrowdLabels, LoadSummary
from crowdsign.data.imageset import ImageSet


@dataclass(frozen=True)
class WorkerType:
    name: str
    accuracy: tuple[float, float]  # uniform range; None-like (0, 0) means random answers


WORKER_TYPES = {
    "reliable": WorkerType("reliable", (0.92, 0.99)),
    "average": WorkerType("average", (0.75, 0.92)),
    "spammer": WorkerType("spammer", (0.0, 0.0)),  # answers uniformly at random
}


def draw_pool(n_workers: int, shares: dict[str, float], rng: np.random.Generator) -> pd.DataFrame:
    """Workers with a ``type``, an ``accuracy`` (NaN for spammers) and an ``activity`` weight."""
    names = list(shares)
    p = np.array([shares[n] for n in names], dtype=float)
    if (p < 0).any() or p.sum() <= 0:
        raise ValueError(f"worker type shares must be non-negative and not all zero: {shares}")
    unknown = set(names) - set(WORKER_TYPES)
    if unknown:
        raise ValueError(f"unknown worker type(s) {sorted(unknown)}; known: {list(WORKER_TYPES)}")
    types = rng.choice(names, size=n_workers, p=p / p.sum())
    lo = np.array([WORKER_TYPES[t].accuracy[0] for t in types])
    hi = np.array([WORKER_TYPES[t].accuracy[1] for t in types])
    acc = rng.uniform(lo, hi)
    acc[types == "spammer"] = np.nan
    activity = 1.0 / np.arange(1, n_workers + 1) ** 0.8  # heavy-tailed: a few do most tasks
    rng.shuffle(activity)
    return pd.DataFrame(
        {"type": types, "accuracy": acc, "activity": activity / activity.sum()},
        index=pd.Index([f"w{i:04d}" for i in range(n_workers)], name="worker"),
    )


def assign(n_tasks: int, activity: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_tasks, k)`` distinct worker indices per task, drawn by activity (Gumbel top-k)."""
    n_workers = len(activity)
    if not 1 <= k <= n_workers:
        raise ValueError(f"labels_per_image={k} must be between 1 and the pool size {n_workers}")
    keys = np.log(activity)[None, :] + rng.gumbel(size=(n_tasks, n_workers))
    return np.argpartition(-keys, k - 1, axis=1)[:, :k]


def simulate_crowd(
    images: ImageSet,
    *,
    labels_per_image: int = 3,
    n_workers: int = 100,
    reliable: float = 0.5,
    average: float = 0.35,
    spammer: float = 0.15,
    difficulty_effect: float = 0.5,
    seed: int = 0,
) -> CrowdLabels:
    """Label every image of ``images`` ``labels_per_image`` times from a simulated pool.

    A worker of accuracy ``a`` answers correctly with probability
    ``chance + (a - chance) * (1 - difficulty_effect * difficulty)``; wrong answers are uniform
    over the other classes. ``images.truth`` is required: the simulation needs it.
    """
    if images.truth is None:
        raise ValueError("simulate_crowd needs an ImageSet with truth labels")
    rng = np.random.default_rng(seed)
    pool = draw_pool(n_workers, {"reliable": reliable, "average": average, "spammer": spammer}, rng)
    n, k, c = len(images), labels_per_image, images.num_classes
    who = assign(n, pool["activity"].to_numpy(), k, rng)  # (n, k)
    truth = np.repeat(images.truth, k)
    who = who.reshape(-1)
    difficulty = (
        images.meta["difficulty"].to_numpy() if "difficulty" in images.meta else np.zeros(n)
    )
    chance = 1.0 / c
    acc = pool["accuracy"].to_numpy()[who]
    p_correct = chance + (acc - chance) * (1 - difficulty_effect * np.repeat(difficulty, k))
    p_correct = np.where(np.isnan(acc), chance, p_correct)
    correct = rng.random(n * k) < p_correct
    # a wrong answer: one of the other c-1 classes, uniformly
    offset = rng.integers(1, c, size=n * k) if c > 1 else np.zeros(n * k, dtype=np.int64)
    label = np.where(correct, truth, (truth + offset) % c)
    names = np.asarray(images.class_names, dtype=object)
    answers = pd.DataFrame(
        {
            "task": np.repeat(images.image_id, k),
            "worker": pool.index.to_numpy()[who],
            "label": names[label],
        }
    )
    summary = LoadSummary(source=f"simulated pool ({n_workers} workers, k={k})")
    summary.read = summary.kept = len(answers)
    return CrowdLabels(answers=answers, summary=summary, workers=pool)


def source_labels(images: ImageSet) -> CrowdLabels:
    """The source's own labels as one answer per image from worker ``source`` (no crowd)."""
    if images.truth is None:
        raise ValueError("crowd=none needs a source with its own labels")
    names = np.asarray(images.class_names, dtype=object)
    answers = pd.DataFrame(
        {"task": images.image_id, "worker": "source", "label": names[images.truth]}
    )
    summary = LoadSummary(source="source labels")
    summary.read = summary.kept = len(answers)
    return CrowdLabels(answers=answers, summary=summary)
