"""Packed sweep jobs take their share of the cores (and of the GPU's memory)."""

from __future__ import annotations

import torch
from conftest import compose_config

from crowdsign.runtime import packing


def test_threads_per_job_split_the_cores(monkeypatch):
    monkeypatch.setattr(packing, "cores", lambda: 8)
    assert packing.threads_per_job(0, 4) == 2
    assert packing.threads_per_job(0, 16) == 1  # never zero threads
    assert packing.threads_per_job(3, 4) == 3  # trainer.threads wins
    assert packing.threads_per_job(0, 1) == 0  # alone: torch's default


def test_jobs_sharing_reads_the_joblib_launcher(monkeypatch):
    monkeypatch.setattr(packing, "cores", lambda: 6)
    try:
        compose_config("train", ["hydra/launcher=gpu_pack", "hydra.mode=MULTIRUN"])
        assert packing.jobs_sharing() == 4  # gpu_pack's n_jobs
        compose_config(
            "train", ["hydra/launcher=local", "hydra.launcher.n_jobs=-1", "hydra.mode=MULTIRUN"]
        )
        assert packing.jobs_sharing() == 6  # -1: one per core
        before = torch.get_num_threads()
        assert packing.share_machine(0, torch.device("cpu")) == 1
        assert torch.get_num_threads() == 1
        torch.set_num_threads(before)
        compose_config("train", ["hydra/launcher=gpu_pack"])  # a single run is alone
        assert packing.jobs_sharing() == 1
    finally:
        compose_config("train", [])  # leave a plain single-run HydraConfig behind
