"""Answer incidence as sparse CSR matrices: the scatter/gather of EM as two matrix products.

Dawid–Skene's E-step sums, for every task, the log-probability row of each (worker, answer)
pair; its M-step sums, for every (worker, answer) pair, the posterior rows of its tasks. Both
are products with one fixed 0/1 (count) matrix built once per fit:

- ``by_task``: ``(T, W*K)``, entry ``(t, w*K + y)`` = how often worker ``w`` answered ``y``
  on task ``t``;
- ``by_pair``: its transpose, ``(W*K, T)``.

A CSR × dense product runs multi-threaded on CPU (MKL) and on CUDA (cuSPARSE); on this
project's 2-core CPU it is ~20× faster than ``index_add_`` of the gathered ``(N, K)`` rows.

``by_pair`` reads the ``(T, K)`` operand at random tasks: beyond the CPU cache (10M answers on
1M tasks) that made each product ~25× slower for 10× the answers. On the CPU, with few
(worker, answer) pairs, it is therefore one CSR per block of consecutive tasks
(:mod:`._blocks`), each reading a cache-sized slice; the sums over blocks cost the same per
answer at any size.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from crowdsign.crowd.aggregate._blocks import BLOCK, Blocks
from crowdsign.crowd.aggregate.base import flat_index
from crowdsign.crowd.answers import CodedAnswers


def _narrowest_int(n: int) -> torch.dtype:
    """The smallest signed int dtype holding ``0..n-1``: narrow keys sort ~3x faster."""
    return torch.int16 if n < 2**15 else torch.int32 if n < 2**31 else torch.int64


def _csr(rows: torch.Tensor, cols: torch.Tensor, n_rows: int, n_cols: int) -> torch.Tensor:
    """``(n_rows, n_cols)`` float32 CSR that adds 1 at each ``(rows[i], cols[i])``.

    On CPU, entries are grouped by row with one stable sort (skipped when ``rows`` is already
    sorted, as in most exports); columns within a row stay unsorted and a repeated pair stays two
    entries, which the CPU product sums (a test checks it). On CUDA, where cuSPARSE wants the
    canonical form, pairs are sorted and merged with ``torch.unique`` (cheap there).
    """
    values = torch.ones(rows.numel(), dtype=torch.float32, device=rows.device)
    if rows.is_cuda:
        key, count = torch.unique(flat_index(rows, cols, n_cols), sorted=True, return_counts=True)
        rows = torch.div(key, n_cols, rounding_mode="floor")
        cols, values = key - rows * n_cols, count.float()
    elif rows.numel() > 1 and not bool((rows[1:] >= rows[:-1]).all()):
        order = torch.sort(rows.to(_narrowest_int(n_rows)), stable=True).indices
        cols = torch.index_select(cols, 0, order)
    crow = torch.zeros(n_rows + 1, dtype=torch.int64, device=rows.device)
    crow[1:] = torch.bincount(rows, minlength=n_rows).cumsum(0)
    if max(n_rows, n_cols, cols.numel()) < 2**31:  # int32 indices: no per-product conversion
        crow, cols = crow.to(torch.int32), cols.to(torch.int32)
    with warnings.catch_warnings():
        # torch warns once per process that CSR is "beta"; the products used here are stable.
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(
            crow,
            cols,
            values,
            (n_rows, n_cols),
            check_invariants=False,  # see above: unsorted/repeated columns are intended
        )


@dataclass(frozen=True)
class Incidence:
    """The two CSR matrices of one answer set (see the module docstring).

    Attributes:
        by_task: ``(T, W*K)`` float32 CSR.
        by_pair: ``(W*K, T)`` float32 CSR, or per block of tasks ``t0:t1`` a ``(W*K, t1 - t0)``
            CSR with its ``t0, t1``.
    """

    by_task: torch.Tensor
    by_pair: torch.Tensor | tuple[tuple[int, int, torch.Tensor], ...]

    @classmethod
    def of(cls, codes: CodedAnswers, block: int = BLOCK) -> Incidence:
        pair = flat_index(codes.worker, codes.label, codes.n_classes)
        n_pairs = codes.n_workers * codes.n_classes
        by_task = _csr(codes.task, pair, codes.n_tasks, n_pairs)
        # per-block CSRs pay W*K row pointers each: worth it for many answers per pair only
        if codes.task.is_cuda or codes.n_answers <= block or n_pairs > block // 8:
            return cls(by_task, _csr(pair, codes.task, n_pairs, codes.n_tasks))
        k, by_pair = codes.n_classes, []
        for b in Blocks.of(codes, block):
            rows = b.worker * k + (b.cell - b.task * k)
            by_pair.append((b.t0, b.t1, _csr(rows, b.task, n_pairs, b.t1 - b.t0)))
        return cls(by_task, tuple(by_pair))

    def task_sums(self, per_pair: torch.Tensor) -> torch.Tensor:
        """``(T, K)``: for each task, the sum of ``per_pair`` ``(W*K, K)`` rows of its answers."""
        return self.by_task @ per_pair

    def pair_sums(self, per_task: torch.Tensor) -> torch.Tensor:
        """``(W*K, K)``: for each (worker, answer), the sum of ``per_task`` ``(T, K)`` rows."""
        if isinstance(self.by_pair, torch.Tensor):
            return self.by_pair @ per_task
        t0, t1, first = self.by_pair[0]
        out = first @ per_task[t0:t1]
        for t0, t1, part in self.by_pair[1:]:
            out += part @ per_task[t0:t1]
        return out
