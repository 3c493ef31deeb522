"""Augmented training batches: a seeded epoch sampler and a map-style dataset over an ImageSet.

Randomness is a pure function of (seed, epoch, index): the sampler yields ``(epoch, index)``
pairs and the dataset seeds the augmentation of each sample from them. So results do not depend
on the number of loader workers (persistent or not), and a resumed run replays exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from crowdsign.augment import Preset
from crowdsign.models.inputs import hwc_to_chw


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 32-bit seed unique to (seed, epoch, index)."""
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1)[0])


class EpochSampler(Sampler[tuple[int, int]]):
    """Shuffles ``0..n-1`` per epoch from (seed, epoch); shards across ``world_size`` ranks.

    Call :meth:`set_epoch` before each epoch (like ``DistributedSampler``). With ``drop_last``
    every rank gets the same number of samples.
    """

    def __init__(
        self,
        n: int,
        *,
        seed: int,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
        weights: torch.Tensor | None = None,
    ) -> None:
        """``weights`` ``(n,)``: draw each epoch's n samples with replacement in proportion
        (class-balanced sampling) instead of a permutation."""
        self.n, self.seed, self.shuffle, self.weights = n, seed, shuffle, weights
        self.rank, self.world_size = rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n // self.world_size

    def __iter__(self) -> Iterator[tuple[int, int]]:
        g = torch.Generator().manual_seed(sample_seed(self.seed, self.epoch, -1 % 2**31))
        if self.weights is not None:
            order = torch.multinomial(self.weights, self.n, replacement=True, generator=g)
        elif self.shuffle:
            order = torch.randperm(self.n, generator=g)
        else:
            order = torch.arange(self.n)
        per_rank = len(self)
        shard = order[self.rank * per_rank : (self.rank + 1) * per_rank]
        return ((self.epoch, int(i)) for i in shard)


class AugmentedImages(Dataset):
    """``dataset[(epoch, i)]`` → (``(3, H, W)`` uint8 augmented image, target).

    ``targets`` is ``(N,)`` int64 class indices or ``(N, C)`` float32 class probabilities.
    """

    def __init__(
        self, images: np.ndarray, targets: np.ndarray, transform: Preset, *, seed: int
    ) -> None:
        if len(images) != len(targets):
            raise ValueError(f"{len(images)} images but {len(targets)} targets")
        self.images, self.targets = images, torch.from_numpy(np.asarray(targets))
        self.transform, self.seed = transform, seed

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, key: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, i = key
        image = self.transform(np.asarray(self.images[i]), seed=sample_seed(self.seed, epoch, i))
        return hwc_to_chw(image), self.targets[i]
