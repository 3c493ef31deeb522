"""Where one more answer helps: per-image posterior, settled flag and expected gain.

The aggregator (any of :mod:`crowdsign.crowd.aggregate`) gives each image its label. Its
uncertainty is judged the same way for every aggregator: a one-coin posterior

    log q[t, c] = log prior[c] + sum over answers (w, y) of t: log P(y | c; a_w)
                  + model_weight * log p_model[t, c]

where ``a_w`` is worker ``w``'s accuracy, from a one-coin Dawid–Skene fit on the images with
at least two answers, shrunk towards ``prior_accuracy`` (towards the pool's mean accuracy with
``pooled_prior``); a worker flagged by :func:`crowdsign.crowd.workers.worker_report`
(spammer or adversarial) counts as chance (``a_w = 1/K``: their answers carry no weight). The
model's prediction, where given, is one more soft vote weighted by how much better than chance
it agrees with the aggregate (ActiveLab's idea of weighing the model against the annotators).

The expected gain of one more answer is the mutual information between that answer (from an
average unflagged worker) and the image's class under ``q``: large for an image nobody agrees
on, near zero once ``q`` is sure. An image is *settled* once ``max q`` reaches ``settle``, the
aggregator's label is ``argmax q`` and a strict majority of its unflagged workers' answers say
that label (dynamic overlap: an image whose answers disagree with its label stays open). The
last condition matters where the class prior dominates ``q``: with a rare class (2.4% stop signs)
the aggregator can call every image the common class, and ``q`` then "settles" an image one
reliable worker called stop on the prior alone; an image answered only by flagged workers has
no real answer yet and stays open too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from crowdsign.crowd.aggregate import Aggregator, OneCoinDawidSkene
from crowdsign.crowd.answers import CodedAnswers, encode
from crowdsign.crowd.workers import worker_report


@dataclass(frozen=True)
class Assessment:
    """One look at the answers so far.

    Attributes:
        tasks: ``(T,)`` image ids, in order.
        classes: ``(K,)`` class names.
        labels: ``(T,)`` int64 the aggregator's class per image (meaningless where unanswered).
        q: ``(T, K)`` the one-coin posterior (see the module docstring).
        gain: ``(T,)`` expected information (nats) of one more answer.
        settled: ``(T,)`` bool.
        n_answers: ``(T,)`` answers so far per image.
        skills: per worker (index worker id) estimated accuracy.
        compared: per worker, answers on images someone else answered too (the evidence
            behind ``skills``; the rest of ``skills`` is the prior).
        flagged: ids of workers flagged as spammer or adversarial.
        next_accuracy: accuracy assumed for the worker who answers next.
        model_weight: the weight the model's prediction got (0 without one).
    """

    tasks: np.ndarray
    classes: np.ndarray
    labels: np.ndarray
    q: np.ndarray
    gain: np.ndarray
    settled: np.ndarray
    n_answers: np.ndarray
    skills: pd.Series
    flagged: frozenset
    next_accuracy: float
    model_weight: float
    compared: pd.Series | None = None

    @property
    def p_top(self) -> np.ndarray:
        return self.q.max(1)


def mutual_information(q: np.ndarray, accuracy: float) -> np.ndarray:
    """``(T,)`` I(answer; class) for posteriors ``q`` ``(T, K)`` and a one-coin worker."""
    k = q.shape[1]
    a = float(np.clip(accuracy, 1.0 / k, 1 - 1e-6))
    off = (1 - a) / max(k - 1, 1)
    p_y = q * a + (1 - q) * off  # (T, K): P(answer = y)
    h_y = -(p_y * np.log(np.clip(p_y, 1e-12, None))).sum(1)
    h_y_given_c = -(a * np.log(a) + (k - 1) * off * np.log(max(off, 1e-12)))
    return np.clip(h_y - h_y_given_c, 0.0, None)


def expected_error_reduction(q: np.ndarray, accuracy: float) -> np.ndarray:
    """``(T,)`` expected rise of ``max q`` after one more answer of a one-coin worker:
    ``sum_y max_c q[c] P(y | c) - max q`` (the drop in the chance the label is wrong)."""
    k = q.shape[1]
    a = float(np.clip(accuracy, 1.0 / k, 1 - 1e-6))
    off = (1 - a) / max(k - 1, 1)
    joint_max = np.zeros(len(q))
    for y in range(k):
        like = np.full(k, off)
        like[y] = a
        joint_max += (q * like).max(1)
    return np.clip(joint_max - q.max(1), 0.0, None)


def _skills(
    codes, flagged: np.ndarray, prior_accuracy: float, strength: float, pooled: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``(W,)`` worker accuracy and ``(W,)`` compared answers: a one-coin Dawid–Skene fit on
    the images with two or more answers (one answer alone says nothing about its worker), shrunk towards
    ``prior_accuracy`` by ``strength`` pseudo-answers; flagged workers at chance. With
    ``pooled`` the prior is the pool's mean fitted accuracy (unflagged workers, weighted by
    their compared answers): empirical Bayes, a sparse worker is pulled to the pool."""
    k = codes.n_classes
    per_task = np.bincount(codes.task.numpy(), minlength=codes.n_tasks)
    multi = per_task[codes.task.numpy()] >= 2
    w = codes.worker.numpy()
    n = np.bincount(w[multi], minlength=codes.n_workers).astype(float)
    fit = np.full(codes.n_workers, prior_accuracy)
    if multi.any():
        keep = torch.from_numpy(multi)
        sub = CodedAnswers(
            codes.task[keep],
            codes.worker[keep],
            codes.label[keep],
            codes.task_ids,
            codes.worker_ids,
            codes.label_ids,
        )
        skill = OneCoinDawidSkene(accuracy_prior=1.0).fit_codes(sub).worker_skills_
        fit = skill.float().cpu().numpy().astype(float)
    if pooled and n[~flagged].sum() > 0:
        # empirical Bayes: shrink towards the pool's mean (unflagged workers, by answers)
        prior_accuracy = float(np.average(fit[~flagged], weights=n[~flagged] + 1e-9))
    a = (n * fit + strength * prior_accuracy) / (n + strength)
    a = np.clip(a, 1.0 / k, 0.995)
    return np.where(flagged, 1.0 / k, a), n


def _model_votes(
    model_probs: np.ndarray, labels: np.ndarray, answered: np.ndarray, k: int
) -> tuple[np.ndarray, float]:
    """Log model probabilities and their weight: the chance-corrected agreement (kappa-like)
    of the model's argmax with the aggregate on answered images, clipped to [0, 1]."""
    p = np.clip(np.asarray(model_probs, dtype=float), 1e-6, 1.0)
    p = p / p.sum(1, keepdims=True)
    if not answered.any():
        return np.log(p), 0.0
    agree = float((p.argmax(1)[answered] == labels[answered]).mean())
    weight = float(np.clip((agree - 1.0 / k) / (1 - 1.0 / k), 0.0, 1.0))
    return np.log(p), weight


def _add_model_votes(
    log_q: np.ndarray, model_probs: np.ndarray | None, labels: np.ndarray, answered: np.ndarray
) -> float:
    """Add the model's weighted log-probabilities to ``log_q`` ``(T, K)`` in place; return the
    weight (0 without a model)."""
    if model_probs is None:
        return 0.0
    t, k = log_q.shape
    if np.shape(model_probs) != (t, k):
        raise ValueError(f"model_probs must be ({t}, {k}), got {np.shape(model_probs)}")
    log_p, weight = _model_votes(model_probs, labels, answered, k)
    log_q += weight * log_p
    return weight


def _add_answer_votes(log_q: np.ndarray, codes, skill: np.ndarray) -> None:
    """Add each answer's one-coin log-likelihood (its worker right with ``skill``, otherwise
    any other class alike) to its image's row of ``log_q`` ``(T, K)``, in place."""
    k = log_q.shape[1]
    aw = skill[codes.worker.numpy()]
    right, wrong = np.log(aw), np.log((1 - aw) / max(k - 1, 1))
    np.add.at(log_q, codes.task.numpy(), np.broadcast_to(wrong[:, None], (len(aw), k)))
    np.add.at(log_q, (codes.task.numpy(), codes.label.numpy()), right - wrong)


def _majority_agrees(codes, labels: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """``(T,)`` bool: a strict majority of each image's unflagged answers is its ``labels``."""
    good = ~flagged[codes.worker.numpy()]
    task = codes.task.numpy()[good]
    agree = codes.label.numpy()[good] == labels[task]
    total = np.bincount(task, minlength=codes.n_tasks)
    return 2 * np.bincount(task[agree], minlength=codes.n_tasks) > total


def assess(
    answers: pd.DataFrame,
    tasks: np.ndarray,
    classes: np.ndarray,
    estimator: Aggregator,
    *,
    settle: float = 0.95,
    prior_accuracy: float = 0.8,
    prior_strength: float = 2.0,
    pooled_prior: bool = False,
    model_probs: np.ndarray | None = None,
) -> Assessment:
    """Fit ``estimator`` on ``answers`` (columns task, worker, label) over ``tasks`` and judge
    every image; ``model_probs`` ``(T, K)`` (optional) are a model's class probabilities."""
    tasks, classes = np.asarray(tasks, dtype=object), np.asarray(classes, dtype=object)
    t, k = len(tasks), len(classes)
    n_answers = np.zeros(t, dtype=np.int64)
    log_q = np.zeros((t, k))
    labels = np.zeros(t, dtype=np.int64)
    skills, flagged = pd.Series(dtype=float), frozenset()
    compared = pd.Series(dtype=float)
    next_acc = prior_accuracy
    agrees = np.zeros(t, dtype=bool)
    if len(answers):
        codes = encode(answers, tasks=tasks, labels=classes)
        estimator.fit_codes(codes)
        labels = estimator.hard_labels().cpu().numpy().astype(np.int64)
        report = worker_report(codes, estimator)
        is_flagged = report["flagged"].to_numpy(dtype=bool)
        a, n = _skills(codes, is_flagged, prior_accuracy, prior_strength, pooled_prior)
        skills = pd.Series(a, index=pd.Index(codes.worker_ids, name="worker"))
        compared = pd.Series(n, index=skills.index)
        flagged = frozenset(codes.worker_ids[is_flagged].tolist())
        n_answers = np.bincount(codes.task.numpy(), minlength=t)
        _add_answer_votes(log_q, codes, a)
        agrees = _majority_agrees(codes, labels, is_flagged)
        good = ~is_flagged & (report["answers"].to_numpy() > 0)
        if good.any():
            next_acc = float(np.average(a[good], weights=report["answers"].to_numpy()[good]))
    answered = n_answers > 0
    counts = np.bincount(labels[answered], minlength=k) + 1.0
    log_q += np.log(counts / counts.sum())
    weight = _add_model_votes(log_q, model_probs, labels, answered)
    q = np.exp(log_q - log_q.max(1, keepdims=True))
    q /= q.sum(1, keepdims=True)
    settled = answered & agrees & (q.max(1) >= settle) & (q.argmax(1) == labels)
    return Assessment(
        tasks=tasks,
        classes=classes,
        labels=labels,
        q=q,
        gain=mutual_information(q, next_acc),
        settled=settled,
        n_answers=n_answers,
        skills=skills,
        flagged=flagged,
        next_accuracy=next_acc,
        model_weight=weight,
        compared=compared,
    )
