"""Model input from NHWC uint8 batches: ``x = (image / 255 - 0.5) / 0.5`` per channel.

The constants and the arithmetic live in :mod:`crowdsign.models.inputs` (the model's input
contract, used by training and prediction); this wraps them for the (B, H, W, 3) arrays that
the presets and corruptions produce, so there is one normalisation in the code base.
"""

from __future__ import annotations

import numpy as np
import torch

from crowdsign.models.inputs import MEAN, STD, hwc_to_chw, to_model_input


def to_tensor_batch(
    images: np.ndarray | torch.Tensor,
    *,
    device: torch.device | str | None = None,
    channels_last: bool = False,
) -> torch.Tensor:
    """(B, H, W, 3) uint8 RGB (numpy, memmap or tensor) → (B, 3, H, W) float32 in [-1, 1].

    With ``device`` the uint8 batch is moved first and normalised there (4× less to copy).
    """
    if isinstance(images, np.ndarray):
        batch = hwc_to_chw(images) if images.dtype == np.uint8 and images.ndim == 4 else None
    else:
        batch = (
            images.permute(0, 3, 1, 2) if images.dtype == torch.uint8 and images.ndim == 4 else None
        )
    if batch is None or batch.shape[1] != 3:
        raise ValueError(
            f"expected (B, H, W, 3) uint8 images, got {images.dtype} of shape {tuple(images.shape)}"
        )
    target = torch.device(device) if device is not None else None
    return to_model_input(batch, device=target, channels_last=channels_last)


def to_image_batch(x: torch.Tensor) -> np.ndarray:
    """Inverse of :func:`to_tensor_batch`: (B, 3, H, W) float → (B, H, W, 3) uint8 on the CPU."""
    images = (x.detach().float() * STD + MEAN).mul_(255.0).round_().clamp_(0, 255)
    return images.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
