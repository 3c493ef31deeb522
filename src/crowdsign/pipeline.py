"""``train(cfg) -> dict[str, float]``: a training run as the list of its stages.

It sits above training and evaluation: training's stages (:mod:`crowdsign.training.run`) fit and
test the model, evaluation writes the run's report and model card
(:mod:`crowdsign.evaluation.run_outputs`); neither imports the other's layer upwards.
"""

from __future__ import annotations

from omegaconf import DictConfig

from crowdsign.evaluation.run_outputs import write_run_outputs
from crowdsign.runtime.tensorboard import RunLogger
from crowdsign.training.distributed import DistInfo, cleanup, init_distributed
from crowdsign.training.run import fit, log_inputs, prepare_data, setup_run


def train(cfg: DictConfig) -> dict[str, float]:
    """Train the configured model on crowd targets; return the final metrics (flat dict).

    Under ``torchrun`` each process trains on its shard of every batch (DDP, gloo on CPU, NCCL
    on GPUs); rank 0 alone renders the data first, logs, and writes checkpoints and reports.
    """
    dist = init_distributed(cfg.trainer.device)
    try:
        return _train(cfg, dist)
    finally:
        cleanup(dist)


def _train(cfg: DictConfig, dist: DistInfo) -> dict[str, float]:
    setup = setup_run(cfg, dist)
    data = prepare_data(cfg, setup)
    logger = RunLogger(setup.run.tb, enabled=dist.is_main)
    try:
        if dist.is_main:
            log_inputs(setup, data, logger)
        fitted = fit(cfg, setup, data, logger)
        if dist.is_main:
            write_run_outputs(setup, data, fitted, logger)
    finally:
        logger.close()
    return fitted.metrics
