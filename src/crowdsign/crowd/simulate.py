"""Simulated crowds that label an ImageSet, and the no-crowd source-label passthrough.

Four presets, each one Hydra target with one noise knob (``noise``) a scaling study sweeps:

- :func:`simulate_crowd` (``crowd=realistic``, ``crowd=simulated``): a pool of reliable,
  average, sloppy, spammer (uniform random), constant-spammer and adversarial workers, each
  with its own confusion matrix; errors follow class similarity (red signs for red signs),
  answers get worse on images the renderer marked hard (``meta["difficulty"]`` in [0, 1]), a
  few workers do most tasks. ``noise`` is the share of workers that are not reliable/average.
- :func:`simulate_uniform` (``crowd=uniform``): wrong with probability ``noise``, uniformly.
- :func:`simulate_pairflip` (``crowd=pairflip``): with probability ``noise`` a class's
  likeliest mistake (stop → the other class of a binary task, or another red sign).
- :func:`simulate_classcond` (``crowd=classcond``): class-conditional: a stop sign missed with
  probability ``noise``, other classes mistaken ``others`` times as often; or one confusion
  matrix (``crowd.confusion``).
- :func:`simulate_clean` (``crowd=clean``): every answer right.

All take the ImageSet first (the pipeline calls ``instantiate(cfg.crowd)(train_split)``), need
``images.truth``, and return :class:`CrowdLabels` whose ``workers`` holds each worker's true
``type`` and ``accuracy`` (expected share of right answers on this image set).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.io.gold import read_gold
from crowdsign.crowd.pools import (
    GOOD_TYPES,
    Pool,
    assign,
    class_similarity,
    classcond_matrix,
    confusable,
    draw_pool,
    matrix_pool,
    pairflip_pool,
    uniform_pool,
)
from crowdsign.crowd.streams import image_keys, normals, uniforms
from crowdsign.data.imageset import ImageSet
from crowdsign.data.summary import LoadSummary
from crowdsign.errors import ConfigError


def sample_answers(
    images: ImageSet,
    pool: Pool,
    *,
    labels_per_image: int,
    difficulty_effect: float,
    seed: int,
    source: str,
    cost: Any = None,
    gold: str | None = None,
) -> CrowdLabels:
    """Let ``pool`` label every image ``labels_per_image`` times.

    A worker who looks at the image answers from their confusion row for the true class, or —
    with probability ``difficulty_effect * difficulty`` — like someone who cannot make the sign
    out (:func:`~crowdsign.crowd.pools.confusable`: the true class or one of its family).
    ``seconds`` grows with the worker's pace and the difficulty. ``gold``: a ``task,label``
    table of known answers (:func:`~crowdsign.crowd.io.gold.read_gold`) for the aggregator.

    Nested: every draw for an image comes from its own stream, seeded by ``(seed, image_id)``
    (:mod:`crowdsign.crowd.streams`), so an image's answers are the same in any ImageSet that
    holds it, and its first ``k`` answers are the same for every ``labels_per_image >= k``.
    """
    if images.truth is None:
        raise ValueError("a simulated crowd needs an ImageSet with truth labels")
    if not 0 <= difficulty_effect <= 1:
        raise ConfigError(f"crowd.difficulty_effect={difficulty_effect} must be in [0, 1]")
    k, c = labels_per_image, images.num_classes
    w_count = len(pool.workers)
    truth = images.truth.astype(np.int64)
    d = _difficulty(images)
    keys = image_keys(images.image_id, seed)
    who = assign(keys, pool.workers["activity"].to_numpy(), k).reshape(-1)
    t = np.repeat(truth, k)
    looks = pool.workers["looks"].to_numpy(dtype=bool)[who]
    confused = looks & (uniforms(keys, 1, k).reshape(-1) < difficulty_effect * np.repeat(d, k))
    # one table of rows: every worker's confusion rows, then the "cannot make it out" rows
    table = np.concatenate([pool.confusion.reshape(-1, c), confusable(images.class_names)])
    row = np.where(confused, w_count * c + t, who * c + t)
    label = _categorical(table, row, uniforms(keys, 2, k).reshape(-1))
    pace = pool.workers["seconds"].to_numpy()[who]
    jitter = np.exp(0.4 * normals(keys, 3, k).reshape(-1))
    seconds = pace * jitter * (1 + 0.5 * np.repeat(d, k))
    names = np.asarray(images.class_names, dtype=object)
    answers = pd.DataFrame(
        {
            "task": pd.array(np.repeat(images.image_id, k).astype(object), dtype="str"),
            "worker": pd.array(pool.workers.index.to_numpy()[who], dtype="str"),
            "label": pd.array(names[label], dtype="str"),
            "seconds": np.round(seconds, 3),
        }
    )
    workers = pool.workers.drop(columns="looks").copy()
    workers.insert(1, "accuracy", _expected_accuracy(images, pool, difficulty_effect))
    summary = LoadSummary(source=f"{source} ({w_count} workers, k={k})")
    summary.read = summary.kept = len(answers)
    known = None if not gold else read_gold(gold, images.class_names)
    return CrowdLabels(answers=answers, summary=summary, workers=workers, cost=cost, gold=known)


def _difficulty(images: ImageSet) -> np.ndarray:
    if "difficulty" not in images.meta:
        return np.zeros(len(images))
    d = images.meta["difficulty"].to_numpy(dtype=float)
    if np.isnan(d).any() or (d < 0).any() or (d > 1).any():
        raise ValueError("images.meta['difficulty'] must be in [0, 1] with no NaN")
    return d


def _categorical(table: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One draw from ``table[row[i]]`` per ``i`` with uniform ``u[i]``, by inverse CDF on the
    flattened table.

    Row ``r``'s CDF is shifted by ``r`` so all rows form one increasing array; a uniform draw
    plus ``r`` then lands inside row ``r``. Memory is ``O(table)``, not ``O(answers * C)``.
    """
    c = table.shape[1]
    cdf = np.cumsum(table, axis=1)
    cdf[:, -1] = 1.0
    flat = (cdf + np.arange(len(table))[:, None]).reshape(-1)
    pos = np.searchsorted(flat, row + u, side="right")
    return np.minimum(pos - row * c, c - 1)


def _expected_accuracy(images: ImageSet, pool: Pool, effect: float) -> np.ndarray:
    """``(n_workers,)`` each worker's expected share of right answers on a random image."""
    c = images.num_classes
    counts = np.bincount(images.truth, minlength=c).astype(float)
    prior = counts / counts.sum()
    mean_d = np.bincount(images.truth, weights=_difficulty(images), minlength=c)
    mean_d = np.divide(mean_d, counts, out=np.zeros(c), where=counts > 0)
    diag = np.diagonal(pool.confusion, axis1=1, axis2=2)  # (W, C)
    lost = effect * mean_d * pool.workers["looks"].to_numpy(dtype=float)[:, None]
    guess = np.diagonal(confusable(images.class_names))[None, :]
    return ((1 - lost) * diag + lost * guess) @ prior


def simulate_crowd(
    images: ImageSet,
    *,
    labels_per_image: int = 3,
    n_workers: int = 100,
    reliable: float = 0.5,
    average: float = 0.35,
    sloppy: float = 0.0,
    spammer: float = 0.15,
    spammer_constant: float = 0.0,
    adversarial: float = 0.0,
    noise: float | None = None,
    difficulty_effect: float = 0.5,
    activity_exponent: float = 0.8,
    across: float = 0.1,
    seed: int = 0,
    cost: Any = None,
    gold: str | None = None,
) -> CrowdLabels:
    """Label every image of ``images`` ``labels_per_image`` times from a realistic pool.

    Args:
        images: the split to label (needs ``truth``).
        labels_per_image: redundancy k; each image gets k distinct workers.
        n_workers: pool size.
        reliable, average, sloppy, spammer, spammer_constant, adversarial: type shares
            (relative; see :data:`~crowdsign.crowd.pools.WORKER_TYPES` for each type).
        noise: if set, the share of workers that are not reliable or average: the bad types
            keep their relative shares, scaled to sum to ``noise`` (the good ones to the rest).
        difficulty_effect: at difficulty 1, the chance a worker cannot make the sign out.
        activity_exponent: Zipf exponent of worker activity (0 = everyone equally active).
        across: how likely a mistake is for a class of another colour family, relative to one
            of the same family.
        seed: seeds the one ``numpy.random.Generator`` used.
        cost: the pricing to attach (:class:`crowdsign.crowd.cost.CostModel`).
    """
    shares = {
        "reliable": reliable,
        "average": average,
        "sloppy": sloppy,
        "spammer": spammer,
        "spammer_constant": spammer_constant,
        "adversarial": adversarial,
    }
    if noise is not None:
        shares = _rescale(shares, noise)
    rng = np.random.default_rng(seed)
    pool = draw_pool(
        n_workers,
        shares,
        images.class_names,
        rng,
        activity_exponent=activity_exponent,
        across=across,
    )
    return sample_answers(
        images, pool, labels_per_image=labels_per_image, difficulty_effect=difficulty_effect,
        seed=seed, source="simulated pool", cost=cost, gold=gold,
    )  # fmt: skip


def _rescale(shares: dict[str, float], noise: float) -> dict[str, float]:
    if not 0 <= noise <= 1:
        raise ConfigError(f"crowd.noise={noise} (share of bad workers) must be in [0, 1]")
    good = sum(v for k, v in shares.items() if k in GOOD_TYPES)
    bad = sum(v for k, v in shares.items() if k not in GOOD_TYPES)
    if (noise > 0 and bad <= 0) or (noise < 1 and good <= 0):
        raise ConfigError(
            f"crowd.noise={noise} needs shares of both good and bad worker types: {shares}"
        )
    return {
        k: (noise * v / bad if k not in GOOD_TYPES else (1 - noise) * v / good) if v else 0.0
        for k, v in shares.items()
    }


def _simple(images: ImageSet, make: Any, name: str, **kw: Any) -> CrowdLabels:
    rng = np.random.default_rng(kw["seed"])  # the pool only; answers come per image
    if images.truth is None:
        raise ValueError("a simulated crowd needs an ImageSet with truth labels")
    pool = make(kw.pop("n_workers"), rng)
    return sample_answers(images, pool, source=name, **kw)


def simulate_uniform(
    images: ImageSet,
    *,
    noise: float = 0.2,
    labels_per_image: int = 3,
    n_workers: int = 100,
    difficulty_effect: float = 0.0,
    seed: int = 0,
    cost: Any = None,
    gold: str | None = None,
) -> CrowdLabels:
    """Symmetric noise: each answer wrong with probability ``noise``, uniformly over the rest."""
    _check_rate(noise, 1 - 1 / images.num_classes)
    make = lambda n, rng: uniform_pool(n, images.num_classes, noise, rng)  # noqa: E731
    return _simple(
        images,
        make,
        f"uniform noise {noise}",
        labels_per_image=labels_per_image,
        n_workers=n_workers,
        difficulty_effect=difficulty_effect,
        seed=seed,
        cost=cost,
        gold=gold,
    )


def simulate_pairflip(
    images: ImageSet,
    *,
    noise: float = 0.2,
    labels_per_image: int = 3,
    n_workers: int = 100,
    difficulty_effect: float = 0.0,
    across: float = 0.1,
    seed: int = 0,
    cost: Any = None,
    gold: str | None = None,
) -> CrowdLabels:
    """Class-dependent noise: with probability ``noise`` the class's likeliest mistake."""
    _check_rate(noise, 0.5)
    sim = class_similarity(images.class_names, across=across)
    make = lambda n, rng: pairflip_pool(n, sim, noise, rng)  # noqa: E731
    return _simple(
        images,
        make,
        f"pair-flip noise {noise}",
        labels_per_image=labels_per_image,
        n_workers=n_workers,
        difficulty_effect=difficulty_effect,
        seed=seed,
        cost=cost,
        gold=gold,
    )


def simulate_classcond(
    images: ImageSet,
    *,
    noise: float = 0.3,
    others: float = 0.1,
    confusion: list[list[float]] | None = None,
    labels_per_image: int = 3,
    n_workers: int = 100,
    difficulty_effect: float = 0.0,
    across: float = 0.1,
    seed: int = 0,
    cost: Any = None,
    gold: str | None = None,
) -> CrowdLabels:
    """Class-conditional noise: a stop sign is missed with probability ``noise``, any other
    class mistaken with ``noise * others``, errors towards similar classes
    (:func:`~crowdsign.crowd.pools.classcond_matrix`); or, given, one ``confusion`` matrix
    (``C x C``, row = true class, column = answer) every worker answers from."""
    if not 0 <= others <= 1:
        raise ConfigError(
            f"crowd.others={others} (the other classes' share of noise) not in [0, 1]"
        )
    _check_rate(noise, 0.5)
    m = (
        classcond_matrix(images.class_names, noise, others=others, across=across)
        if confusion is None
        else np.asarray(confusion, dtype=float)
    )
    make = lambda n, rng: matrix_pool(n, m, rng, "classcond")  # noqa: E731
    return _simple(
        images,
        make,
        f"class-conditional noise {noise}" if confusion is None else "confusion matrix",
        labels_per_image=labels_per_image,
        n_workers=n_workers,
        difficulty_effect=difficulty_effect,
        seed=seed,
        cost=cost,
        gold=gold,
    )


def simulate_clean(
    images: ImageSet,
    *,
    noise: float = 0.0,
    labels_per_image: int = 3,
    n_workers: int = 100,
    seed: int = 0,
    cost: Any = None,
    gold: str | None = None,
) -> CrowdLabels:
    """Every answer right (``noise`` must be 0; it exists so a sweep can name it)."""
    if noise != 0:
        raise ConfigError(f"crowd=clean has no noise (got crowd.noise={noise}); use crowd=uniform")
    make = lambda n, rng: uniform_pool(n, images.num_classes, 0.0, rng, name="clean")  # noqa: E731
    return _simple(
        images,
        make,
        "clean labels",
        labels_per_image=labels_per_image,
        n_workers=n_workers,
        difficulty_effect=0.0,
        seed=seed,
        cost=cost,
        gold=gold,
    )


def _check_rate(rate: float, most: float) -> None:
    """Beyond ``most`` the true class is no longer the likeliest answer."""
    if not 0 <= rate <= most:
        raise ConfigError(
            f"crowd.noise={rate} must be in [0, {most:.3g}] (the true class must stay "
            "likeliest); pass a lower crowd.noise"
        )


def source_labels(images: ImageSet) -> CrowdLabels:
    """The source's own labels as one answer per image from worker ``source`` (no crowd)."""
    if images.truth is None:
        raise ConfigError("crowd=none needs a source with its own labels; choose a crowd")
    names = np.asarray(images.class_names, dtype=object)
    answers = pd.DataFrame(
        {"task": images.image_id, "worker": "source", "label": names[images.truth]}
    )
    summary = LoadSummary(source="source labels")
    summary.read = summary.kept = len(answers)
    return CrowdLabels(answers=answers, summary=summary)
