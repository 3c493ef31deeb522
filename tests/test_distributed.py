"""DDP: two CPU processes with gloo under torchrun train like one process, rank 0 writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO

from crowdsign.training.batches import EpochSampler


def test_epoch_sampler_shards_cover_the_epoch_once():
    ranks = [list(EpochSampler(10, seed=3, rank=r, world_size=2)) for r in range(2)]
    seen = [i for shard in ranks for _, i in shard]
    assert sorted(seen) == list(range(10))
    single = [i for _, i in EpochSampler(10, seed=3)]
    assert seen == single  # the two shards are the single-process order, split in halves


def test_epoch_sampler_depends_on_seed_and_epoch_only():
    a, b = EpochSampler(50, seed=1), EpochSampler(50, seed=1)
    b.set_epoch(1)
    first, second = [i for _, i in a], [i for _, i in b]
    assert first != second and sorted(first) == sorted(second)
    a.set_epoch(1)
    assert [i for _, i in a] == second


def test_torchrun_two_cpu_processes(tmp_path, cache_dir):
    run_dir = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(REPO / "train.py"),
            "debug=smoke",
            f"paths.cache_dir={cache_dir}",
            f"hydra.run.dir={run_dir}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((run_dir / "metrics.json").read_text())
    assert result["world_size"] == 2
    losses = [h["train/loss"] for h in result["history"]]
    assert len(losses) == 2 and losses[-1] < losses[0]
    assert (run_dir / "checkpoints" / "best.pt").is_file()
    assert done.stdout.count("outputs:") == 1  # rank 0 alone reports


@pytest.mark.parametrize("batch_size", [33])
def test_batch_size_must_divide_by_processes(make_cfg, batch_size, monkeypatch):
    from crowdsign.training.distributed import DistInfo
    from crowdsign.training.fitting import build_loader

    cfg = make_cfg("train", ["debug=smoke", f"trainer.batch_size={batch_size}"])
    with pytest.raises(ValueError, match="must divide"):
        build_loader(None, None, cfg, None, DistInfo(rank=0, world_size=2))
