"""GLAD's blocked EM passes: any block size and answer order give the same fit."""

from __future__ import annotations

import pytest
import torch
from toy_crowd import synthetic_crowd

from crowdsign.crowd.aggregate import GLAD
from crowdsign.crowd.aggregate._blocks import Blocks, narrowest_int
from crowdsign.crowd.answers import CodedAnswers

SHARES = {"reliable": 0.5, "average": 0.3, "spammer": 0.2}


def shuffled(codes: CodedAnswers, seed: int = 0) -> CodedAnswers:
    perm = torch.randperm(codes.n_answers, generator=torch.Generator().manual_seed(seed))
    return CodedAnswers(
        codes.task[perm],
        codes.worker[perm],
        codes.label[perm],
        codes.task_ids,
        codes.worker_ids,
        codes.label_ids,
    )


@pytest.mark.parametrize("n_classes", [2, 4])
def test_block_size_and_answer_order_do_not_change_the_fit(n_classes):
    crowd = synthetic_crowd(300, 40, n_classes, 4, shares=SHARES, seed=n_classes)
    gold = torch.full((300,), -1)
    gold[:20] = crowd.truth[:20]
    for g in (None, gold):
        whole = GLAD().fit_codes(crowd.codes, g)
        small = GLAD()
        small._block_size = 37  # tasks straddle blocks
        small.fit_codes(shuffled(crowd.codes), g)
        assert small.n_iter_ == whole.n_iter_
        torch.testing.assert_close(small.posteriors_, whole.posteriors_, rtol=0, atol=1e-5)
        torch.testing.assert_close(small.worker_alpha_, whole.worker_alpha_, rtol=0, atol=1e-5)
        torch.testing.assert_close(small.task_beta_, whole.task_beta_, rtol=0, atol=1e-5)


def test_blocks_cover_every_answer_once_with_narrow_codes():
    crowd = synthetic_crowd(50, 300, 3, 3, shares=SHARES, seed=0)
    codes = shuffled(crowd.codes)
    blocks = Blocks.of(codes, block=16)
    assert blocks.order is not None and sorted(blocks.order.tolist()) == list(range(150))
    assert blocks.blocks[0].worker_code.dtype == torch.int16  # 300 workers
    assert blocks.blocks[0].task_code.dtype == torch.int8
    task = torch.cat([b.task + b.t0 for b in blocks])
    label = torch.cat([b.cell - b.task * 3 for b in blocks])
    worker = torch.cat([b.worker for b in blocks])
    torch.testing.assert_close(task, codes.task[blocks.order])
    torch.testing.assert_close(label, codes.label[blocks.order])
    torch.testing.assert_close(worker, codes.worker[blocks.order])
    assert narrowest_int(128) == torch.int8 and narrowest_int(129) == torch.int16
    assert narrowest_int(2**31 + 1) == torch.int64
