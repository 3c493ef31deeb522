"""Augmentation presets (train/eval) built on albumentations."""

from crowdsign.augment.presets import PRESETS, Preset, eval_preset, train_preset

__all__ = ["PRESETS", "Preset", "eval_preset", "train_preset"]
