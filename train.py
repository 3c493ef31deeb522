"""Train a stop-sign classifier: ``python train.py [overrides]`` (see configs/train.yaml)."""

import hydra
from omegaconf import DictConfig

from crowdsign.cli import rejecting_renamed_keys, run_train


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg: DictConfig) -> float:
    # the returned value is what a Hydra sweeper (e.g. Optuna) would optimise
    return run_train(cfg)["test/balanced_accuracy"]


if __name__ == "__main__":
    main()
