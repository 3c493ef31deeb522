"""Training batches made on the device: the decoded uint8 images live there, and each batch is
augmented there, batched, by :func:`crowdsign.augment.device.device_train_preset`
(``trainer.data_on_device=true``).

Nothing runs per image on the CPU: an epoch is one index permutation (the same
:class:`~crowdsign.training.batches.EpochSampler` as the NumPy path, so class-balanced
sampling and DDP shards work alike) and, per batch, one gather and the preset's batched ops.
The augmentation draws from one ``torch.Generator`` on the device, seeded from (seed, epoch):
a run repeats exactly on the same device, and a resumed run replays its epochs.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from omegaconf import DictConfig

from crowdsign.augment.device import DevicePreset, device_train_preset
from crowdsign.training.batches import EpochSampler, sample_seed
from crowdsign.training.distributed import DistInfo

UPLOAD_CHUNK = 4096  # images per host → device copy (bounds the host-side staging memory)


def images_to_device(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 (array or memmap) → ``(N, 3, H, W)`` uint8 on ``device``."""
    n, h, w, c = images.shape
    out = torch.empty((n, c, h, w), dtype=torch.uint8, device=device)
    for start in range(0, n, UPLOAD_CHUNK):
        chunk = torch.from_numpy(np.array(images[start : start + UPLOAD_CHUNK]))  # writable copy
        out[start : start + len(chunk)] = chunk.to(device).permute(0, 3, 1, 2)
    return out


class DeviceBatches:
    """Iterable of ``(images, targets)`` batches on ``device``, like the NumPy path's loader.

    ``images`` ``(B, 3, H, W)`` uint8 (augmented), ``targets`` ``(B,)`` int64 or ``(B, C)``
    float32; ``len()`` is the number of full batches per epoch (the last partial one is
    dropped, as the DataLoader's ``drop_last``).
    """

    def __init__(
        self,
        images: np.ndarray,
        targets: np.ndarray,
        preset: DevicePreset,
        *,
        sampler: EpochSampler,
        batch_size: int,
        device: torch.device,
        seed: int,
    ) -> None:
        if len(images) != len(targets):
            raise ValueError(f"{len(images)} images but {len(targets)} targets")
        self.images = images_to_device(images, device)
        self.targets = torch.from_numpy(np.asarray(targets)).to(device)
        self.preset, self.sampler, self.batch_size = preset, sampler, batch_size
        self.device, self.seed = device, seed

    def __len__(self) -> int:
        return len(self.sampler) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.tensor([i for _, i in self.sampler], dtype=torch.int64).to(self.device)
        g = torch.Generator(device=self.device)
        g.manual_seed(sample_seed(self.seed, self.sampler.epoch, -2 % 2**31))
        for b in range(len(self)):
            index = order[b * self.batch_size : (b + 1) * self.batch_size]
            batch = self.preset(self.images.index_select(0, index), g)
            yield batch, self.targets.index_select(0, index)


def device_batches(
    images: np.ndarray,
    targets: np.ndarray,
    cfg: DictConfig,
    image_size: int,
    sampler: EpochSampler,
    device: torch.device,
    dist: DistInfo,
) -> DeviceBatches:
    """The run's :class:`DeviceBatches` from its config (``cfg.augment``, ``cfg.trainer``)."""
    preset = device_train_preset(**cfg.augment, image_size=image_size)
    return DeviceBatches(
        images,
        targets,
        preset,
        sampler=sampler,
        batch_size=cfg.trainer.batch_size // dist.world_size,
        device=device,
        seed=cfg.seed,
    )
