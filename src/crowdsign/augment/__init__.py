"""Augmentations and corruptions that simulate fading, weather, light, viewpoint, distance, occlusion.

- :mod:`~crowdsign.augment.presets`: ``train_preset`` / ``eval_preset`` (seeded callables).
- :mod:`~crowdsign.augment.corruptions`: ``corrupt(image, family, severity, seed)`` and
  ``CORRUPTIONS`` for the robustness benchmark; the families live in ``color``, ``weather``,
  ``viewpoint``, ``optics`` and ``occlusion``.
- :mod:`~crowdsign.augment.tensor`: ``to_tensor_batch`` (imports torch; not imported here so
  that loader workers stay light).
"""

from crowdsign.augment.corruptions import CORRUPTIONS, GROUPS, corrupt, corrupt_batch
from crowdsign.augment.family import FAMILIES, Family
from crowdsign.augment.presets import PRESETS, Preset, eval_preset, eval_preset_for, train_preset
from crowdsign.augment.transforms import FamilyTransform

__all__ = [
    "CORRUPTIONS",
    "FAMILIES",
    "GROUPS",
    "PRESETS",
    "Family",
    "FamilyTransform",
    "Preset",
    "corrupt",
    "corrupt_batch",
    "eval_preset",
    "eval_preset_for",
    "train_preset",
]
