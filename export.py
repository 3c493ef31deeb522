"""Export a checkpoint to ONNX, checked against PyTorch: ``python export.py ckpt_path=<best.pt>``."""

import hydra
from omegaconf import DictConfig

from crowdsign.cli import rejecting_renamed_keys, run_export


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path="configs", config_name="export")
def main(cfg: DictConfig) -> None:
    run_export(cfg)


if __name__ == "__main__":
    main()
