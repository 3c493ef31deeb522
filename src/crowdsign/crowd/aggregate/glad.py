"""GLAD: worker ability × task difficulty (Whitehill et al., 2009), EM with Newton M-steps."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Self

import pandas as pd
import torch
import torch.nn.functional as F

from crowdsign.crowd.aggregate._blocks import BLOCK, Blocks
from crowdsign.crowd.aggregate.base import (
    EPS,
    Aggregator,
    check_gold,
    clamp_gold,
    resolve_device,
    take,
)
from crowdsign.crowd.aggregate.dawid_skene import _posterior
from crowdsign.crowd.answers import CodedAnswers


class GLAD(Aggregator):
    """GLAD: worker ``w`` answers task ``t`` correctly with probability
    ``sigmoid(alpha_w * exp(beta_t))`` and otherwise picks one of the other ``K - 1`` classes
    uniformly; ``alpha`` is ability (negative: adversarial), ``exp(beta)`` inverse difficulty.

    The model, priors and defaults are crowd-kit's ``GLAD`` (``beta`` is its log-parametrised
    inverse difficulty; Gaussian priors on ``alpha`` and ``beta``; a fixed class prior, uniform
    unless given). crowd-kit's M-step runs scipy's conjugate gradient over pandas frames; here
    each M-step is ``m_step_iter`` rounds of Newton steps, alternating ``alpha`` then ``beta``
    (both separable: a per-worker / per-task Gauss–Newton step from two scatter-adds).

    Args:
        n_iter: maximum EM iterations.
        tol: stop when the loss (per answer) falls by less than this.
        m_step_iter: Newton rounds per M-step.
        alpha_prior_mean, alpha_prior_std: Gaussian prior on every ``alpha_w``.
        beta_prior_mean, beta_prior_std: Gaussian prior on every ``beta_t``.
        class_prior: ``(n_classes,)`` fixed class prior; ``None`` = uniform.
        device: where to compute; ``None`` keeps the codes' device, ``"auto"`` picks CUDA.
        seed: unused (GLAD's EM is deterministic); kept for a uniform constructor.

    Fitted:
        posteriors_ : (n_tasks, n_classes) posterior class probabilities.
        worker_alpha_ : (n_workers,) abilities; ``alphas_`` is the Series (crowd-kit's name).
        task_beta_ : (n_tasks,) log inverse difficulties; ``betas_`` is the Series.
        worker_skills_ : (n_workers,) expected share of the worker's answers that are correct.
        loss_history_ : negative log-likelihood (+ log prior) per answer, per iteration.
        n_iter_ : iterations run.
    """

    loss_history_: list[float]
    n_iter_: int
    worker_alpha_: torch.Tensor
    task_beta_: torch.Tensor
    _log_prior: torch.Tensor  # (K,)
    _blocks: Blocks  # the answers in task order, in cache-sized blocks
    _block_size: int = BLOCK  # answers per block (tests make it small)
    _votes: torch.Tensor  # (T, K) answer counts
    _task_n: torch.Tensor  # (T,) answers per task
    _log_k1: float  # log(K - 1)

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-5,
        *,
        m_step_iter: int = 2,
        alpha_prior_mean: float = 1.0,
        alpha_prior_std: float = 1.0,
        beta_prior_mean: float = 1.0,
        beta_prior_std: float = 1.0,
        class_prior: Sequence[float] | None = None,
        device: str | torch.device | None = None,
        seed: int = 0,
    ) -> None:
        if n_iter < 1 or tol < 0 or m_step_iter < 1:
            raise ValueError("need n_iter >= 1, tol >= 0, m_step_iter >= 1")
        if alpha_prior_std <= 0 or beta_prior_std <= 0:
            raise ValueError("prior standard deviations must be positive")
        self.n_iter = n_iter
        self.tol = tol
        self.m_step_iter = m_step_iter
        self.alpha_prior_mean = alpha_prior_mean
        self.alpha_prior_std = alpha_prior_std
        self.beta_prior_mean = beta_prior_mean
        self.beta_prior_std = beta_prior_std
        self.class_prior = None if class_prior is None else list(class_prior)
        self.device = device
        self.seed = seed

    # model pieces ---------------------------------------------------------------------------
    def _answer_log_lik(
        self, alpha: torch.Tensor, beta: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per answer ``(N,)``: ``x = alpha_w * exp(beta_t)`` and ``log P(answer | its class is
        true) = log sigmoid(x)``. With a given other class true it is ``log sigmoid(x) - x -
        log(K - 1)``."""
        c = self.coded_
        x = take(alpha, c.worker) * take(beta.exp(), c.task)
        return x, F.logsigmoid(x)

    def _log_joint(self, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        """``(T, K)`` log prior + sum over the task's answers of log P(answer | class).

        Every answer contributes its "wrong" term to all classes and ``x + log(K-1)`` more to
        the class it names; the constants are folded into precomputed counts. One pass over
        the answer blocks.
        """
        c = self.coded_
        base = torch.zeros(c.n_tasks, device=alpha.device)
        bonus = torch.zeros(c.n_tasks * c.n_classes, device=alpha.device)
        exp_beta = beta.exp()
        for b in self._blocks:
            task = b.task
            x = take(alpha, b.worker).mul_(take(exp_beta[b.t0 : b.t1], task))
            base[b.t0 : b.t1].scatter_add_(0, task, F.logsigmoid(x).sub_(x))
            bonus[b.t0 * c.n_classes : b.t1 * c.n_classes].scatter_add_(0, b.cell, x)
        base -= self._log_k1 * self._task_n
        bonus = bonus.view(c.n_tasks, c.n_classes)
        return self._log_prior + base[:, None] + bonus + self._log_k1 * self._votes

    def _log_param_prior(self, alpha: torch.Tensor, beta: torch.Tensor) -> float:
        za = (alpha - self.alpha_prior_mean) / self.alpha_prior_std
        zb = (beta - self.beta_prior_mean) / self.beta_prior_std
        return -0.5 * float(
            za.square().sum(dtype=torch.float64) + zb.square().sum(dtype=torch.float64)
        )

    def _vote_counts(self) -> torch.Tensor:
        """``(T, K)`` float32 answer counts (``base.vote_counts``, one block at a time)."""
        k = self.coded_.n_classes
        votes = torch.zeros(self.coded_.n_tasks * k, device=self._log_prior.device)
        for b in self._blocks:
            cell = b.cell
            votes[b.t0 * k : b.t1 * k].scatter_add_(
                0, cell, torch.ones(cell.shape, device=cell.device)
            )
        return votes.view(-1, k)

    def _worker_accuracy(self, q: torch.Tensor) -> torch.Tensor:
        """``(W,)`` expected share of each worker's answers that are right under ``q``
        (``base.worker_accuracy`` with its default smoothing, one block at a time)."""
        c = self.coded_
        hits, n = (
            torch.zeros(c.n_workers, device=q.device),
            torch.zeros(c.n_workers, device=q.device),
        )
        for b, (right, _) in zip(self._blocks, self._answer_q(q), strict=True):
            worker = b.worker
            hits.scatter_add_(0, worker, right)
            n.scatter_add_(0, worker, torch.ones_like(right))
        smoothing = 1e-6  # a worker with no answers scores chance, never NaN
        return (hits + smoothing) / (n + max(c.n_classes, 1) * smoothing)

    def _answer_q(self, q: torch.Tensor | None) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """Per block: ``(n,)`` posterior that each answer is right, and ``None``; or, on the
        gold-anchoring step (``q=None``), 1 for a right answer on a gold task and a 0/1 weight
        that keeps only answers on gold tasks."""
        if q is None:
            return [
                (self._gold_right[b.lo : b.hi], self._gold_keep[b.lo : b.hi]) for b in self._blocks
            ]
        k, flat = self.coded_.n_classes, q.view(-1)
        return [(take(flat[b.t0 * k : b.t1 * k], b.cell), None) for b in self._blocks]

    def _m_step(
        self, alpha: torch.Tensor, beta: torch.Tensor, q: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Newton rounds on the expected complete log-likelihood + log prior.

        ``q`` ``(T, K)``: posteriors, or ``None`` to fit on the gold tasks' answers alone
        (``_gold_right``, ``_gold_keep``). With ``x = alpha_w * exp(beta_t)`` the gradient in
        ``x`` is ``q - sigmoid(x)``; each parameter gets the Gauss–Newton step ``g / h`` with
        its prior's curvature added. Two passes over the answer blocks per round.
        """
        prec_a, prec_b = self.alpha_prior_std**-2, self.beta_prior_std**-2
        answer_q = self._answer_q(q)
        for _ in range(self.m_step_iter):
            exp_beta = beta.exp()
            g, h, per_block = torch.zeros_like(alpha), torch.zeros_like(alpha), []
            for b, (right, keep) in zip(self._blocks, answer_q, strict=True):
                worker, e = b.worker, take(exp_beta[b.t0 : b.t1], b.task)
                per_block.append((worker, e))
                s = take(alpha, worker).mul_(e).sigmoid_()
                s = s if keep is None else s.mul_(keep)  # q = s = 0: the answer drops out
                g.scatter_add_(0, worker, (right - s).mul_(e))
                h.scatter_add_(0, worker, s.mul_(1 - s).mul_(e.square()))
            g -= prec_a * (alpha - self.alpha_prior_mean)
            alpha = alpha + (g / (h + prec_a)).clamp(-2.0, 2.0)

            g, h = torch.zeros_like(beta), torch.zeros_like(beta)
            for b, (right, keep), (worker, e) in zip(
                self._blocks, answer_q, per_block, strict=True
            ):
                task = b.task
                x = take(alpha, worker).mul_(e)
                s = torch.sigmoid(x) if keep is None else torch.sigmoid(x).mul_(keep)
                g[b.t0 : b.t1].scatter_add_(0, task, (right - s).mul_(x))
                h[b.t0 : b.t1].scatter_add_(0, task, s.mul_(1 - s).mul_(x.square_()))
            g -= prec_b * (beta - self.beta_prior_mean)
            beta = beta + (g / (h + prec_b)).clamp(-2.0, 2.0)
        return alpha, beta

    # fitting --------------------------------------------------------------------------------
    def fit_codes(self, codes: CodedAnswers, gold: torch.Tensor | None = None) -> Self:
        """Fit by EM from ``alpha = alpha_prior_mean``, ``beta = beta_prior_mean``.

        Args:
            codes: the answers, integer-coded.
            gold: ``(n_tasks,)`` int64, a gold class code or ``-1``; gold tasks keep their truth
                and anchor the abilities.
        """
        codes = codes.to(resolve_device(self.device, codes))
        gold = check_gold(gold, codes)
        self.coded_, self.gold_ = codes, gold
        k, dev = codes.n_classes, codes.task.device
        if self.class_prior is None:
            prior = torch.full((k,), 1.0 / max(k, 1), device=dev)
        else:
            prior = torch.as_tensor(self.class_prior, dtype=torch.float32, device=dev)
            if prior.shape != (k,) or bool((prior < 0).any()):
                raise ValueError(f"class_prior must be {k} non-negative numbers")
            prior = prior / prior.sum()
        self._log_prior = prior.clamp_min(EPS).log()

        alpha = torch.full((codes.n_workers,), self.alpha_prior_mean, device=dev)
        beta = torch.full((codes.n_tasks,), self.beta_prior_mean, device=dev)
        # blocks fit a CPU cache; on a GPU one block (fewer kernel launches) is faster
        block = self._block_size if not codes.task.is_cuda else max(codes.n_answers, 1)
        self._blocks = Blocks.of(codes, block)
        self._votes = self._vote_counts()  # (T, K)
        self._task_n = self._votes.sum(1)  # (T,)
        self._log_k1 = math.log(max(k - 1, 1))
        n = max(codes.n_answers, 1)
        if gold is not None:  # anchor: abilities first from the answers on gold tasks alone
            gold_answer = self._blocks.sorted_answers(take(gold, codes.task))
            label = self._blocks.sorted_answers(codes.label)
            self._gold_keep = (gold_answer >= 0).float()
            self._gold_right = (gold_answer == label).float()
            alpha, beta = self._m_step(alpha, beta, None)
            del self._gold_keep, self._gold_right
        self.loss_history_ = []
        previous = math.inf
        for iteration in range(1, self.n_iter + 1):
            self.n_iter_ = iteration
            q, log_lik = _posterior(self._log_joint(alpha, beta), gold)
            loss = -(log_lik + self._log_param_prior(alpha, beta)) / n
            self.loss_history_.append(loss)
            if previous - loss < self.tol or iteration == self.n_iter:
                break
            previous = loss
            alpha, beta = self._m_step(alpha, beta, q)

        self.worker_alpha_, self.task_beta_ = alpha, beta
        self.posteriors_ = q
        self.worker_skills_ = self._worker_accuracy(q)
        return self

    # fitted views ---------------------------------------------------------------------------
    @property
    def alphas_(self) -> pd.Series:
        return pd.Series(
            self.worker_alpha_.cpu().numpy(),
            index=pd.Index(self.coded_.worker_ids, name="worker"),
            name="alpha",
        )

    @property
    def betas_(self) -> pd.Series:
        return pd.Series(
            self.task_beta_.cpu().numpy(),
            index=pd.Index(self.coded_.task_ids, name="task"),
            name="beta",
        )

    def loo_posteriors(self) -> torch.Tensor:
        """``(n_answers, n_classes)`` posterior of each answer's task without that answer."""
        c = self.coded_
        x, log_right = self._answer_log_lik(self.worker_alpha_, self.task_beta_)
        own = (log_right - x - self._log_k1)[:, None].expand(-1, c.n_classes).clone()
        own.scatter_(1, c.label[:, None], log_right[:, None])
        log_joint = self._log_joint(self.worker_alpha_, self.task_beta_)
        q = torch.softmax(take(log_joint, c.task) - own, dim=1)
        return q if self.gold_ is None else clamp_gold(q, take(self.gold_, c.task))
