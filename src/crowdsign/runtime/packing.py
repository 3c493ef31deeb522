"""Several sweep jobs on one machine: share its cores and its GPU without oversubscribing.

A Hydra multirun with the joblib launcher (``hydra/launcher=local`` or ``gpu_pack``) runs
``hydra.launcher.n_jobs`` jobs side by side. Each job then takes

- ``cores // n_jobs`` torch intra-op threads (unless ``trainer.threads`` says otherwise): with
  torch's default every job would start one thread per core and they would wait on each other;
- on CUDA, a cap of ``GPU_SHARE / n_jobs`` of the device's memory for its caching allocator
  (``torch.cuda.set_per_process_memory_fraction``), so one job's cache cannot starve the others
  into out-of-memory errors; a job that needs more fails alone, with the cap in its error.
"""

from __future__ import annotations

import logging
import os

import torch
from hydra.core.hydra_config import HydraConfig

log = logging.getLogger(__name__)

GPU_SHARE = 0.9  # of the device memory, split between the jobs (the rest: CUDA contexts)


def jobs_sharing() -> int:
    """How many jobs run at once on this machine: the joblib launcher's ``n_jobs`` inside a
    multirun (``-1``: one per core), else 1."""
    if not HydraConfig.initialized():
        return 1
    launcher = HydraConfig.get().get("launcher") or {}
    n_jobs = launcher.get("n_jobs") if "joblib" in str(launcher.get("_target_", "")) else None
    if not n_jobs or HydraConfig.get().mode is None or HydraConfig.get().mode.name != "MULTIRUN":
        return 1
    return cores() if n_jobs < 0 else int(n_jobs)


def cores() -> int:
    """CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def threads_per_job(requested: int, jobs: int) -> int:
    """``requested`` if set (> 0), else this job's share of the cores (at least 1); 0 (torch's
    default) when the job runs alone."""
    if requested > 0:
        return requested
    return max(1, cores() // jobs) if jobs > 1 else 0


def share_machine(requested_threads: int, device: torch.device) -> int:
    """Apply the thread count and GPU memory cap of this job; return the thread count set."""
    jobs = jobs_sharing()
    threads = threads_per_job(requested_threads, jobs)
    if threads > 0:
        torch.set_num_threads(threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        if jobs > 1:
            torch.cuda.set_per_process_memory_fraction(GPU_SHARE / jobs, device)
    if jobs > 1:
        log.info("one of %d jobs sharing this machine: %d torch threads", jobs, threads)
    return threads
