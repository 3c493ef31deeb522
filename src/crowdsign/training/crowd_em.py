"""Deep EM with the classifier in the loop (Raykar et al., JMLR 2010; Rodrigues & Pereira 2018).

The Dawid–Skene model with the classifier as each image's prior: the truth ``y`` of image ``i``
is drawn from the classifier's ``p(y | x_i)``, and worker ``r`` answers ``a`` with probability
``pi_r[y, a]``. EM alternates

- E-step: ``q_i(y) ∝ p(y | x_i)^beta * prod_r pi_r[y, a_ir]`` over the image's answers;
- M-step: the classifier is trained on the soft targets ``q_i`` (cross-entropy), and the
  worker confusions ``pi_r`` are re-estimated from the posteriors of the images they answered.

Both steps run inside the usual training loop, one batch at a time (online EM): the loss of a
batch is the cross-entropy against its images' current posteriors. The classifier's prior is an
exponential moving average of its predictions on each image over the epochs (``momentum``), so
one augmented view does not decide it, and is tempered by ``prior_weight`` (beta; 1 is Raykar's
EM). The confusions start from the aggregated targets (Dawid–Skene's with ``aggregate=ds``), and
during the warm-up the classifier trains on those targets alone (``ds_soft``), so the EM starts
from a classifier that already generalises.

Memory: ``O(answers + images * C + workers * C^2)``: per-image posteriors and priors, per-worker
expected counts; no dense images × workers tensor. The state is in buffers, so a checkpoint of
the loss's ``state_dict`` resumes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from crowdsign.training.crowd_losses import (
    SparseAnswers,
    WorkerConfusionLoss,
    expected_confusions,
)


class CrowdEMLoss(WorkerConfusionLoss):
    """Online EM of the Dawid–Skene model with the classifier as the per-image prior.

    Args:
        answers, n_workers, n_classes: see :class:`WorkerConfusionLoss`.
        prior_weight: beta, the exponent of the classifier's prior in the E-step (0: plain
            Dawid–Skene posteriors with the class prior, 1: Raykar's EM, > 1: the classifier
            counts for more than one answer).
        momentum: of the moving average of the classifier's predictions per image (per visit).
        accuracy_prior, smoothing: the M-step's Dirichlet pseudo-answers (diagonal, every cell).
        update_confusions: re-estimate the worker confusions from the posteriors (M-step);
            false keeps the initial estimate.
        **warmup: ``initial`` (N, C) aggregated targets, ``warmup_fraction`` and ``epochs``.

    Buffers: ``log_conf`` (W, C, C) log P(answer | truth); ``counts`` (W, C, C) expected
    counts; ``belief`` (N, C) the classifier's averaged predictions; ``posterior`` (N, C).
    """

    def __init__(
        self,
        answers: SparseAnswers,
        n_workers: int,
        n_classes: int,
        prior_weight: float = 0.5,
        momentum: float = 0.7,
        accuracy_prior: float = 1.0,
        smoothing: float = 0.01,
        update_confusions: bool = True,
        class_prior: Sequence[float] | None = None,
        **warmup: Any,
    ) -> None:
        super().__init__(answers, n_workers, n_classes, **warmup)
        if prior_weight < 0.0 or not 0.0 <= momentum < 1.0:
            raise ValueError("need 0 <= prior_weight and 0 <= momentum < 1")
        self.prior_weight, self.momentum = prior_weight, momentum
        self.accuracy_prior, self.smoothing = accuracy_prior, smoothing
        self.update_confusions = update_confusions
        conf = expected_confusions(answers, self.initial, n_workers, accuracy_prior, smoothing)
        self.register_buffer("log_conf", conf.log())
        self.register_buffer("counts", self._counts(self.initial))
        initial_share = self.initial.mean(0, keepdim=True)
        self.register_buffer("belief", initial_share.repeat(len(self.initial), 1))
        self.register_buffer("posterior", self.initial.clone())
        # per-class log-weights that move the posteriors' class shares toward ``class_prior``
        self.register_buffer("log_shift", torch.zeros(n_classes))
        target = None if class_prior is None else prior_shares(class_prior, n_classes)
        self.register_buffer("target_prior", target, persistent=False)  # set by the config

    def _counts(self, posterior: torch.Tensor) -> torch.Tensor:
        """Expected (worker, truth, answer) counts, without the pseudo-answers."""
        a = self.answers
        rows = torch.repeat_interleave(torch.arange(len(a.indptr) - 1), a.indptr.diff())
        return self._scatter(a.worker, a.label, posterior.cpu()[rows]).to(posterior.device)

    def _scatter(
        self, worker: torch.Tensor, label: torch.Tensor, post: torch.Tensor
    ) -> torch.Tensor:
        """``(W, C, C)``: each answer's ``(C,)`` posterior added at [worker, :, label]."""
        c = self.n_classes
        out = torch.zeros(self.n_workers, c, c, dtype=post.dtype, device=post.device)
        rows = torch.arange(c, device=post.device)[None, :]
        out.index_put_((worker[:, None], rows, label[:, None]), post, accumulate=True)
        return out

    def forward(self, logits: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        if self.training:  # the E-step's prior: every visit moves the image's belief
            pos = positions.to(self.belief.device)
            probs = logits.detach().float().softmax(1)
            self.belief[pos] = self.momentum * self.belief[pos] + (1 - self.momentum) * probs
        return super().forward(logits, positions)

    def answers_loss(self, logits: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        row, worker, label = (t.to(logits.device) for t in self.answers.gather(positions))
        pos = positions.to(self.belief.device)
        log_lik = torch.zeros(len(positions), self.n_classes, device=logits.device)
        log_lik.index_add_(0, row, self.log_conf[worker, :, label])
        log_prior = self.prior_weight * self.belief[pos].clamp_min(1e-6).log()
        post = (log_prior + log_lik + self.log_shift).softmax(1)
        if self.training:
            if self.update_confusions:
                self._m_step(row, worker, label, self.posterior[pos], post)
            self.posterior[pos] = post
            if self.target_prior is not None:
                self._align(len(positions))
        return -(post * logits.float().log_softmax(1)).sum(1).mean()

    @torch.no_grad()
    def _m_step(
        self,
        row: torch.Tensor,
        worker: torch.Tensor,
        label: torch.Tensor,
        old: torch.Tensor,
        new: torch.Tensor,
    ) -> None:
        """Swap the batch's old posteriors for the new ones in the counts; refresh confusions."""
        self.counts += self._scatter(worker, label, new[row] - old[row])
        eye = torch.eye(self.n_classes, device=self.counts.device)
        cells = self.counts.clamp_min(0.0) + self.smoothing + self.accuracy_prior * eye
        self.log_conf.copy_((cells / cells.sum(2, keepdim=True)).log())

    @torch.no_grad()
    def _align(self, batch: int) -> None:
        """One damped Sinkhorn step (a whole one per epoch): shift each class's log-weight by
        ``log(prior / share)``, the share of the posteriors over every image."""
        share = self.posterior.mean(0).clamp_min(1e-8)
        self.log_shift += batch / len(self.posterior) * (self.target_prior.log() - share.log())

    def hard_targets(self, positions: torch.Tensor) -> torch.Tensor:
        return self.posterior[positions.to(self.posterior.device)].argmax(1).to(positions.device)

    def confusions(self) -> torch.Tensor:
        return self.log_conf.exp()


def prior_shares(prior: Sequence[float], n_classes: int) -> torch.Tensor:
    """``class_prior`` as a ``(C,)`` distribution; anything but C positive numbers raises
    ValueError (or TypeError)."""
    if isinstance(prior, str):
        raise ValueError(f"class_prior needs {n_classes} positive shares, got {prior!r}")
    out = torch.as_tensor([float(v) for v in prior], dtype=torch.float32)
    if out.shape != (n_classes,) or not bool((out > 0).all()):
        raise ValueError(f"class_prior needs {n_classes} positive shares, got {list(prior)}")
    return out / out.sum()
