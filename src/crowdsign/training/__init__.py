"""Training: ``train(cfg) -> dict[str, float]``."""

from crowdsign.training.run import train

__all__ = ["train"]
