"""Training a classifier from raw crowd answers: per-worker confusion layers on its output.

Two objectives, both dropped at inference (the classifier alone predicts):

- :class:`CrowdLayerLoss` — the crowd layer "MW" of Rodrigues & Pereira (AAAI 2018): worker
  ``r``'s answer distribution is ``softmax(W_r z)``, ``W_r`` a free ``(C, C)`` matrix
  initialised to the identity. Here ``z`` is the classifier's logits, where the paper takes its
  softmax output: at the identity the loss is then exactly cross-entropy on every answer, while
  on probabilities it starts bounded and flat, and a from-scratch CNN under SGD barely moved
  (LabelMe, measured: train loss 1.98 and valid accuracy 0.25 after 4 of 20 epochs, where the
  majority vote was at 0.45);
- :class:`TraceRegLoss` — Tanno et al. (CVPR 2019): worker ``r``'s answer distribution is
  ``A_r^T p`` for a row-stochastic confusion ``A_r`` (row = true class, column = answer), with
  the trace regulariser ``lambda * tr(A_r)`` pushing the confusions to absorb the noise.

Both are trained with cross-entropy on the answers that exist only (a masked loss): the loader
hands out image positions, and :class:`SparseAnswers` gathers each batch's answers by position,
so memory is ``O(answers + workers * C^2)``, never a dense ``(images, workers)`` tensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from crowdsign.crowd.answers import CodedAnswers


class SparseAnswers:
    """The answers grouped by image (CSR): ``gather(positions)`` → that batch's answers.

    Args:
        image: ``(M,)`` int64 image position of each answer, in ``[0, n_images)``.
        worker: ``(M,)`` int64 worker code. label: ``(M,)`` int64 class index.
        n_images: number of images (positions).
    """

    def __init__(
        self, image: torch.Tensor, worker: torch.Tensor, label: torch.Tensor, n_images: int
    ) -> None:
        order = torch.argsort(image, stable=True)
        self.worker, self.label = worker[order].long(), label[order].long()
        counts = torch.bincount(image.long(), minlength=n_images)
        self.indptr = torch.zeros(n_images + 1, dtype=torch.long)
        self.indptr[1:] = torch.cumsum(counts, 0)
        self.majority = self._majority(n_images, int(label.max()) + 1 if len(label) else 1)

    def _majority(self, n_images: int, n_classes: int) -> torch.Tensor:
        votes = torch.zeros(n_images, n_classes)
        rows = torch.repeat_interleave(torch.arange(n_images), self.indptr.diff())
        votes.index_put_((rows, self.label), torch.ones(len(rows)), accumulate=True)
        return votes.argmax(1)

    def gather(self, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For a batch of image positions ``(B,)``: ``(row in batch, worker, label)``, each
        ``(K,)`` for the K answers those images have."""
        positions = positions.long().cpu()
        start, stop = self.indptr[positions], self.indptr[positions + 1]
        counts = stop - start
        row = torch.repeat_interleave(torch.arange(len(positions)), counts)
        first = torch.cumsum(counts, 0) - counts
        index = torch.arange(int(counts.sum())) - first[row] + start[row]
        return row, self.worker[index], self.label[index]


def sparse_answers(codes: CodedAnswers, answered: np.ndarray) -> SparseAnswers:
    """Answers indexed by position among the answered images (the loader's order)."""
    position = np.cumsum(answered) - 1  # task code → position among answered images
    task = torch.as_tensor(position[codes.task.cpu().numpy()])
    return SparseAnswers(task, codes.worker.cpu(), codes.label.cpu(), int(answered.sum()))


def expected_confusions(
    answers: SparseAnswers,
    posterior: torch.Tensor,
    n_workers: int,
    accuracy_prior: float = 1.0,
    smoothing: float = 0.01,
) -> torch.Tensor:
    """Dawid–Skene's M-step: ``(n_workers, C, C)`` P(answer = column | truth = row) per worker
    from the ``(N, C)`` class posteriors of the images (MAP: ``smoothing`` pseudo-answers in
    every cell, ``accuracy_prior`` more on the diagonal). Rows sum to 1."""
    n_classes = posterior.shape[1]
    rows = torch.repeat_interleave(torch.arange(len(answers.indptr) - 1), answers.indptr.diff())
    post = posterior.detach().float().cpu()[rows]  # (M, C) posterior of each answer's image
    counts = torch.zeros(n_workers, n_classes, n_classes)
    counts.index_put_(
        (answers.worker[:, None], torch.arange(n_classes)[None, :], answers.label[:, None]),
        post,
        accumulate=True,
    )
    counts += smoothing + accuracy_prior * torch.eye(n_classes)
    return (counts / counts.sum(2, keepdim=True)).to(posterior.device)


class WorkerConfusionLoss(nn.Module):
    """Shared machinery: the answers, the per-worker parameters and the masked loss.

    Called as ``loss(logits, positions)`` with the classifier's ``(B, C)`` logits and the
    batch's image positions; ``hard_targets(positions)`` gives the majority answer (for the
    loop's agreement statistic). Subclasses define :meth:`answer_log_probs`.
    """

    def __init__(
        self,
        answers: SparseAnswers,
        n_workers: int,
        n_classes: int,
        *,
        initial: torch.Tensor | None = None,
        warmup_fraction: float = 0.0,
        epochs: int = 1,
    ) -> None:
        super().__init__()
        self.answers, self.n_workers, self.n_classes = answers, n_workers, n_classes
        if not 0.0 <= warmup_fraction < 1.0:
            raise ValueError(f"warmup_fraction must be in [0, 1), got {warmup_fraction}")
        if warmup_fraction > 0 and initial is None:
            raise ValueError("a warm-up trains on the aggregated targets: pass initial")
        n_images = len(answers.indptr) - 1
        initial = torch.full((n_images, n_classes), 1.0 / n_classes) if initial is None else initial
        if initial.shape != (n_images, n_classes):
            raise ValueError(
                f"initial must be ({n_images}, {n_classes}), got {tuple(initial.shape)}"
            )
        # (N, C) the aggregated targets: the warm-up's soft labels and the workers' first estimate
        self.register_buffer("initial", initial.float())
        # warm-up: the first warmup_fraction of the epochs train on `initial` (soft cross-entropy)
        self.warmup_images = int(warmup_fraction * epochs * n_images)
        self.register_buffer("seen", torch.zeros((), dtype=torch.long))  # images trained on

    def warming_up(self) -> bool:
        return int(self.seen) < self.warmup_images

    def answer_log_probs(self, logits: torch.Tensor, worker: torch.Tensor) -> torch.Tensor:
        """``(K, C)`` log P(answer | image) for K (classifier logits, worker) pairs."""
        raise NotImplementedError

    def penalty(self, worker: torch.Tensor) -> torch.Tensor:
        return torch.zeros((), device=worker.device)

    def forward(self, logits: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        warm = self.warming_up()
        if self.training:
            self.seen += len(positions)
        if warm:
            soft = self.initial[positions.to(self.initial.device)]
            return -(soft * logits.float().log_softmax(1)).sum(1).mean()
        return self.answers_loss(logits, positions)

    def answers_loss(self, logits: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        """The masked loss over the batch's answers (after the warm-up)."""
        row, worker, label = (t.to(logits.device) for t in self.answers.gather(positions))
        logp = self.answer_log_probs(logits.float()[row], worker)
        return F.nll_loss(logp, label) + self.penalty(worker)

    def hard_targets(self, positions: torch.Tensor) -> torch.Tensor:
        return self.answers.majority[positions.long().cpu()].to(positions.device)

    def confusions(self) -> torch.Tensor:
        """``(n_workers, C, C)`` estimated P(answer = column | truth = row) per worker."""
        raise NotImplementedError

    def worker_table(self, worker_ids: np.ndarray, class_names: list[str]) -> pd.DataFrame:
        """Per worker: answers, learned accuracy (mean confusion diagonal), top confusion."""
        with torch.no_grad():
            conf = self.confusions().cpu()
        counts = torch.bincount(self.answers.worker, minlength=self.n_workers)
        off = conf.clone()
        off[:, torch.arange(self.n_classes), torch.arange(self.n_classes)] = -1.0
        flat = off.flatten(1).argmax(1)
        names = np.asarray(class_names, dtype=object)
        return pd.DataFrame(
            {
                "worker": worker_ids,
                "answers": counts.numpy(),
                "learned_accuracy": conf.diagonal(dim1=1, dim2=2).mean(1).numpy(),
                "top_confusion": [
                    f"{names[i // self.n_classes]} -> {names[i % self.n_classes]}"
                    for i in flat.tolist()
                ],
                "top_confusion_p": off.flatten(1).max(1).values.numpy(),
            }
        )

    def write_report(self, out_dir: Path, worker_ids: np.ndarray, class_names: list[str]) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        table = self.worker_table(worker_ids, class_names)
        table.to_csv(out_dir / "learned_workers.csv", index=False)


class CrowdLayerLoss(WorkerConfusionLoss):
    """Rodrigues & Pereira's crowd layer, MW variant: ``softmax(W_r z)`` per worker (logits z).

    Args:
        answers, n_workers, n_classes: see :class:`WorkerConfusionLoss`.
        lr_scale: the workers' learning rate relative to the classifier's (an optimizer group).
    """

    def __init__(
        self,
        answers: SparseAnswers,
        n_workers: int,
        n_classes: int,
        lr_scale: float = 1.0,
        **warmup: Any,
    ) -> None:
        super().__init__(answers, n_workers, n_classes, **warmup)
        self.lr_scale = lr_scale
        self.weight = nn.Parameter(torch.eye(n_classes).repeat(n_workers, 1, 1))
        # running mean of the classifier's logits per predicted class, to read confusions out
        centred = torch.eye(n_classes) - 1.0 / n_classes
        self.register_buffer("class_logits", 4.0 * centred)

    def answer_log_probs(self, logits: torch.Tensor, worker: torch.Tensor) -> torch.Tensor:
        if self.training:
            self._track(logits.detach())
        activations = torch.bmm(self.weight[worker], logits.unsqueeze(2)).squeeze(2)
        return activations.log_softmax(1)

    @torch.no_grad()
    def _track(self, logits: torch.Tensor, momentum: float = 0.9) -> None:
        centred = logits - logits.mean(1, keepdim=True)
        for k in torch.unique(centred.argmax(1)).tolist():
            mean = centred[centred.argmax(1) == k].mean(0)
            self.class_logits[k] = momentum * self.class_logits[k] + (1 - momentum) * mean

    def confusions(self) -> torch.Tensor:
        # the answers the layer predicts for an average image the classifier calls class k
        return torch.einsum("wij,kj->wki", self.weight, self.class_logits).softmax(2)


class TraceRegLoss(WorkerConfusionLoss):
    """Tanno et al.'s jointly learned confusions with the trace regulariser.

    Args:
        answers, n_workers, n_classes: see :class:`WorkerConfusionLoss`.
        trace_weight: lambda of ``lambda * mean tr(A_r) / C`` over the batch's answers.
        init_diagonal: initial P(answer = truth) of every worker (the rest spread evenly).
        lr_scale: the workers' learning rate relative to the classifier's.
    """

    def __init__(
        self,
        answers: SparseAnswers,
        n_workers: int,
        n_classes: int,
        trace_weight: float = 0.01,
        init_diagonal: float = 0.8,
        lr_scale: float = 1.0,
        init_from_targets: bool = False,
        **warmup: Any,
    ) -> None:
        super().__init__(answers, n_workers, n_classes, **warmup)
        if not 1.0 / n_classes < init_diagonal < 1.0:
            raise ValueError(f"init_diagonal must be in (1/C, 1), got {init_diagonal}")
        self.trace_weight, self.lr_scale = trace_weight, lr_scale
        off = (1 - init_diagonal) / (n_classes - 1)
        logit = float(np.log(init_diagonal / off))
        start = logit * torch.eye(n_classes).repeat(n_workers, 1, 1)
        if init_from_targets:  # each worker's confusion as the aggregated targets imply (M-step)
            start = expected_confusions(answers, self.initial, n_workers).log()
        self.logits = nn.Parameter(start)

    def confusions(self) -> torch.Tensor:
        return self.logits.softmax(2)

    def answer_log_probs(self, logits: torch.Tensor, worker: torch.Tensor) -> torch.Tensor:
        conf = self.logits[worker].softmax(2)  # (K, C, C), rows: truth
        answer = torch.bmm(logits.softmax(1).unsqueeze(1), conf).squeeze(1)
        return answer.clamp_min(1e-8).log()

    def penalty(self, worker: torch.Tensor) -> torch.Tensor:
        conf = self.logits[worker].softmax(2)
        return self.trace_weight * conf.diagonal(dim1=1, dim2=2).mean()


def worker_param_group(loss: nn.Module, lr: float) -> dict:
    """The optimizer group for a crowd loss's worker parameters: no weight decay."""
    scale = float(getattr(loss, "lr_scale", 1.0))
    return {"params": list(loss.parameters()), "weight_decay": 0.0, "lr": lr * scale}
