"""Batched torch twins of the augmentation families and presets, for data on the GPU.

- :func:`device_train_preset`: the ``default`` (or any) train preset on ``(B, 3, H, W)`` uint8
  batches with per-image stage draws, families and severities from a ``torch.Generator``.
- :data:`DEVICE_FAMILIES`: ``fn(images, severity, generator)`` on ``(B, 3, H, W)`` float32 in
  [0, 255] with ``(B,)`` severities: photometric (``photometric``), weather (``weather``),
  viewpoint (``geometry``, kornia warps), blur/JPEG (``optics``, kornia convolution and codec)
  and ``cover`` (``occlusion``).

Imports torch and kornia; loader workers of the NumPy path never import it.
"""

from crowdsign.augment.device.ops import DEVICE_FAMILIES
from crowdsign.augment.device.preset import DevicePreset, device_train_preset

__all__ = ["DEVICE_FAMILIES", "DevicePreset", "device_train_preset"]
