"""Classify images: ``python predict.py ckpt_path=<run>/checkpoints/best.pt inputs=<file|folder|glob>``."""

import hydra
from omegaconf import DictConfig

from crowdsign.cli import rejecting_renamed_keys, run_predict


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path="configs", config_name="predict")
def main(cfg: DictConfig) -> None:
    run_predict(cfg)


if __name__ == "__main__":
    main()
