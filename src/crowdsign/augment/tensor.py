"""The one place where uint8 images become model input: ``x = (image / 255 - 0.5) / 0.5``."""

from __future__ import annotations

import numpy as np
import torch

MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)


def to_tensor_batch(
    images: np.ndarray | torch.Tensor, *, device: torch.device | str | None = None
) -> torch.Tensor:
    """(B, H, W, 3) uint8 RGB → (B, 3, H, W) float32 in [-1, 1], normalised per channel.

    Accepts a numpy array (or memmap) or a uint8 tensor, e.g. a collated batch. With ``device``
    the uint8 batch is moved first and normalised there (4× less to copy than float32). The
    result is a permuted view of the NHWC data, so it is already in ``channels_last`` memory
    format; call ``.contiguous()`` if you need NCHW-contiguous storage.
    """
    batch = (
        torch.from_numpy(np.ascontiguousarray(images)) if isinstance(images, np.ndarray) else images
    )
    if batch.dtype != torch.uint8 or batch.ndim != 4 or batch.shape[-1] != 3:
        raise ValueError(
            f"expected (B, H, W, 3) uint8 images, got {batch.dtype} of shape {tuple(batch.shape)}"
        )
    if device is not None:
        batch = batch.to(device, non_blocking=True)
    x = batch.permute(0, 3, 1, 2).float()
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return x.div_(255.0).sub_(mean).div_(std)


def to_image_batch(x: torch.Tensor) -> np.ndarray:
    """Inverse of :func:`to_tensor_batch`: (B, 3, H, W) float → (B, H, W, 3) uint8 on the CPU."""
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    images = (x.detach().float() * std + mean).mul(255.0).round().clamp(0, 255)
    return images.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
