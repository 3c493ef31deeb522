"""Model-in-the-loop consensus in the spirit of CROWDLAB (Goh, Tkachenko & Mueller 2022).

1. Cross-fit: split the answered train images into folds (whole groups together); for each
   fold train a classifier on the other folds' current targets and predict the fold, so every
   image gets class probabilities from a model that never saw it.
2. Weigh: each worker by how much better than chance they agree with the other workers on
   shared images, the model likewise by its agreement with the initial consensus; mix the
   model's probabilities with each answer (smoothed by the mean agreement) by those weights
   into a posterior per image.
3. Relabel: the posteriors become soft training targets; the run then trains as usual.

"Chance" (``baseline``): CROWDLAB measures a source's error against the error of "always the
commonest class" (``majority``). Agreement with other *noisy* workers is deflated by their
noise while that baseline is not, so on an imbalanced task every worker can fall below it: on
the realistic pool (25% stop signs, 30% bad workers, k = 3) every worker's weight hit the
floor and the targets came out flat (test accuracy 0.49–0.86 over 5 seeds). The default
``chance`` compares with the agreement of two labelers drawing from the consensus class shares,
``sum(share**2)``: the weight is then Cohen's kappa, ``1 - error / (1 - sum(share**2))``,
clipped at ``min_weight``. With balanced classes the two baselines nearly coincide.

Per image the consensus label and its quality (the posterior's mass on it), and per worker the
estimated quality, go to ``crowd/consensus_images.csv`` and ``crowd/consensus_workers.csv``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsign.crowd.answers import CodedAnswers
from crowdsign.errors import ConfigError

FitPredict = Callable[[np.ndarray, np.ndarray], np.ndarray]


BASELINES = ("chance", "majority")  # ConsensusConfig.baseline


@dataclass(frozen=True)
class ConsensusConfig:
    """The ``consensus`` config node (``robust=consensus``)."""

    folds: int = 2  # cross-fitting folds (>= 2)
    epochs_fraction: float = 0.5  # each fold model's epochs, relative to trainer.epochs
    min_weight: float = 1e-6
    # false: CROWDLAB's linear pool (weighted mean of the model's and the smoothed answers'
    # probabilities); true: the logarithmic pool (weighted product, renormalised), which treats
    # model and workers as independent evidence, so agreeing sources sharpen the target
    log_pool: bool = False
    # what a source's error is compared with: "chance" (Cohen's kappa) or "majority" (CROWDLAB's
    # "always the commonest class"; see the module docstring)
    baseline: str = "chance"

    def __post_init__(self) -> None:
        if self.baseline not in BASELINES:
            raise ConfigError(
                f"robust.consensus.baseline={self.baseline!r}: choose one of {', '.join(BASELINES)}"
            )


@dataclass(frozen=True)
class Consensus:
    """The result of :func:`crowdlab_consensus`.

    Attributes:
        posterior: ``(N, C)`` consensus class probabilities per image.
        label: ``(N,)`` argmax of ``posterior``. quality: ``(N,)`` posterior mass on ``label``.
        agreement: ``(N,)`` share of the image's answers equal to ``label`` (NaN: no answers).
        worker_weight: ``(W,)`` each worker's weight; worker_quality: ``(W,)`` in [0, 1].
        model_weight: the classifier's weight.
    """

    posterior: np.ndarray
    label: np.ndarray
    quality: np.ndarray
    agreement: np.ndarray
    worker_weight: np.ndarray
    worker_quality: np.ndarray
    model_weight: float


def fold_ids(groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """``(N,)`` fold index per image; images of one group share a fold (seeded shuffle)."""
    if folds < 2:
        raise ValueError(f"consensus.folds must be >= 2, got {folds}")
    uniq, inverse = np.unique(groups, return_inverse=True)
    order = np.random.default_rng(seed).permutation(len(uniq))
    return (order % folds)[inverse]


def cross_fit(fold: np.ndarray, fit_predict: FitPredict) -> np.ndarray:
    """Out-of-fold probabilities: ``fit_predict(train_idx, predict_idx)`` per fold, where
    ``predict_idx`` is the fold and ``train_idx`` every other image."""
    out: np.ndarray | None = None
    for k in np.unique(fold):
        held = np.flatnonzero(fold == k)
        probs = np.asarray(fit_predict(np.flatnonzero(fold != k), held), dtype=np.float64)
        if out is None:
            out = np.zeros((len(fold), probs.shape[1]))
        out[held] = probs
    assert out is not None
    return out


def _agreement_with_others(codes: CodedAnswers) -> tuple[np.ndarray, np.ndarray]:
    """Per answer: share of the *other* answers on its image with the same label (NaN if
    none); per image: number of answers."""
    task, label = codes.task.cpu().numpy(), codes.label.cpu().numpy()
    n_tasks, n_classes = codes.n_tasks, codes.n_classes
    votes = np.zeros((n_tasks, n_classes))
    np.add.at(votes, (task, label), 1.0)
    per_task = votes.sum(1)
    others = per_task[task] - 1
    same = votes[task, label] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        agree = np.where(others > 0, same / np.maximum(others, 1), np.nan)
    return agree, per_task


def _pool(
    task: np.ndarray,
    answer_probs: np.ndarray,
    answer_weight: np.ndarray,
    model_probs: np.ndarray,
    model_weight: float,
    log_pool: bool,
) -> np.ndarray:
    """``(N, C)`` weighted pool of the model's ``(N, C)`` and the answers' ``(M, C)``
    probabilities: linear (weighted mean) or logarithmic (weighted product, renormalised)."""
    if log_pool:
        score = model_weight * np.log(np.clip(model_probs, 1e-3, 1.0))
        np.add.at(score, task, answer_weight[:, None] * np.log(answer_probs))
        score -= score.max(1, keepdims=True)
        mass = np.exp(score)
        return mass / mass.sum(1, keepdims=True)
    mass = model_weight * model_probs.astype(np.float64)
    np.add.at(mass, task, answer_weight[:, None] * answer_probs)
    total = model_weight + np.bincount(task, weights=answer_weight, minlength=len(model_probs))
    return mass / total[:, None]


def crowdlab_consensus(
    codes: CodedAnswers,
    initial: np.ndarray,
    pred_probs: np.ndarray,
    min_weight: float = 1e-6,
    log_pool: bool = False,
    baseline: str = "chance",
) -> Consensus:
    """Combine out-of-sample ``pred_probs`` ``(N, C)`` with the answers, weighed by quality.

    ``initial`` ``(N,)`` is the first consensus (e.g. majority vote) the weights are measured
    against. Images without answers get the model's probabilities. ``log_pool`` and
    ``baseline``: see :class:`ConsensusConfig`.
    """
    task, worker, label = (t.cpu().numpy() for t in (codes.task, codes.worker, codes.label))
    n, c, w = codes.n_tasks, pred_probs.shape[1], codes.n_workers
    agree, per_task = _agreement_with_others(codes)
    answered = per_task > 0
    share = np.bincount(initial[answered], minlength=c) / max(answered.sum(), 1)
    expected = share.max() if baseline == "majority" else float((share**2).sum())
    baseline_error = max(1.0 - expected, min_weight)
    mean_agree = float(np.nanmean(agree)) if np.isfinite(agree).any() else 1.0
    sums = np.bincount(worker, weights=np.nan_to_num(agree), minlength=w)
    counts = np.bincount(worker, weights=np.isfinite(agree).astype(float), minlength=w)
    worker_agree = np.where(counts > 0, sums / np.maximum(counts, 1), mean_agree)
    worker_weight = np.maximum(1.0 - (1.0 - worker_agree) / baseline_error, min_weight)
    model_error = float((pred_probs.argmax(1) != initial)[answered].mean())
    mean_answers = float(per_task[answered].mean()) if answered.any() else 0.0
    model_weight = max(1.0 - model_error / baseline_error, min_weight) * np.sqrt(mean_answers)

    likely = min(max(mean_agree, 1.0 / c), 1.0 - 1e-6)
    smoothed = np.full((len(label), c), (1.0 - likely) / (c - 1))
    smoothed[np.arange(len(label)), label] = likely
    posterior = _pool(task, smoothed, worker_weight[worker], pred_probs, model_weight, log_pool)
    cons = posterior.argmax(1)
    quality = posterior[np.arange(n), cons]
    hits = np.bincount(task, weights=(label == cons[task]).astype(float), minlength=n)
    agreement = np.where(answered, hits / np.maximum(per_task, 1), np.nan)
    # worker quality: agreement with the consensus and the posterior mass on their answers,
    # mixed by how much the answers (vs the model) weigh in the consensus
    mix = worker_weight.sum() / (worker_weight.sum() + model_weight)
    n_w = np.maximum(np.bincount(worker, minlength=w), 1)
    agree_cons = np.bincount(worker, weights=(label == cons[task]).astype(float), minlength=w)
    label_quality = np.bincount(worker, weights=posterior[task, label], minlength=w)
    worker_quality = mix * agree_cons / n_w + (1 - mix) * label_quality / n_w
    return Consensus(
        posterior.astype(np.float32),
        cons,
        quality,
        agreement,
        worker_weight,
        worker_quality,
        float(model_weight),
    )


def write_consensus_report(
    out_dir: Path, codes: CodedAnswers, result: Consensus, class_names: list[str]
) -> str:
    """Per-image and per-worker consensus tables; returns a Markdown summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = np.asarray(class_names, dtype=object)
    pd.DataFrame(
        {
            "task": codes.task_ids,
            "consensus": names[result.label],
            "consensus_quality": result.quality,
            "annotator_agreement": result.agreement,
        }
    ).to_csv(out_dir / "consensus_images.csv", index=False)
    answers = np.bincount(codes.worker.cpu().numpy(), minlength=codes.n_workers)
    workers = pd.DataFrame(
        {
            "worker": codes.worker_ids,
            "answers": answers,
            "weight": result.worker_weight,
            "quality": result.worker_quality,
        }
    ).sort_values("quality")
    workers.to_csv(out_dir / "consensus_workers.csv", index=False)
    return (
        f"- model weight: {result.model_weight:.3f}\n"
        f"- mean consensus quality: {np.nanmean(result.quality):.3f}\n"
        f"- lowest-quality workers: {', '.join(map(str, workers['worker'].head(5)))}\n"
    )
