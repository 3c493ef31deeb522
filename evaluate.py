"""Evaluate a checkpoint: ``python evaluate.py ckpt_path=<run>/checkpoints/best.pt``."""

import hydra
from omegaconf import DictConfig

from crowdsign.cli import rejecting_renamed_keys, run_evaluate


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path="configs", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    run_evaluate(cfg)


if __name__ == "__main__":
    main()
