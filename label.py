"""Plan the next crowd batch or replay a past export: ``python label.py [overrides]``
(see configs/label.yaml)."""

import hydra
from omegaconf import DictConfig

from crowdsign.cli import rejecting_renamed_keys, run_label


@rejecting_renamed_keys
@hydra.main(version_base="1.3", config_path="configs", config_name="label")
def main(cfg: DictConfig) -> None:
    run_label(cfg)


if __name__ == "__main__":
    main()
