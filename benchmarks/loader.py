"""GTSRB loading speed: first decode, cached load, and cached epochs with/without augmentation.

    python benchmarks/loader.py                      # ../shared/data/gtsrb, 32 px
    python benchmarks/loader.py --image-size 64 --workers 1 0 --loader-workers 0 1 2

"Cold" builds a fresh cache entry (listing, decode, resize, write); the files themselves may
already sit in the OS page cache, which this script cannot drop. "Warm" is a later run: listing
plus fingerprint, memmap open, split, and the copy of every split's images into memory.
"Epoch" is one pass of the training DataLoader over the cached train split (uint8 batches of
128), with the ``none`` preset (resize only) and with the ``default`` train augmentations, for
each number of loader worker processes.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
from torch.utils.data import DataLoader

from crowdsign.augment import train_preset
from crowdsign.data.gtsrb import load_gtsrb
from crowdsign.training.batches import AugmentedImages, EpochSampler

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gtsrb"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(DEFAULT_ROOT))
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 0], help="0 = all cores")
    parser.add_argument("--loader-workers", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    for workers in args.workers:
        with tempfile.TemporaryDirectory() as cache:
            kw = {"root": args.root, "image_size": args.image_size, "cache_dir": cache}
            splits, cold = timed(load_gtsrb, decode_workers=workers, **kw)
            n = splits.summary.kept
            _, warm = timed(load_gtsrb, decode_workers=workers, **kw)
            print(
                f"gtsrb {n} images at {args.image_size}px, workers={workers or 'all'}: "
                f"cold decode {cold:.2f} s ({n / cold:,.0f} img/s) | "
                f"warm load {warm:.2f} s ({n / warm:,.0f} img/s)"
            )
    train = splits.train
    for preset in ("none", "default"):
        for lw in args.loader_workers:
            seconds = epoch_seconds(train.images, train.truth, preset, lw, args.image_size)
            print(
                f"cached epoch, preset={preset}, loader workers={lw}: {seconds:.2f} s "
                f"({len(train) / seconds:,.0f} img/s)"
            )


def epoch_seconds(
    images: np.ndarray, truth: np.ndarray, preset: str, workers: int, image_size: int
) -> float:
    dataset = AugmentedImages(
        images, truth, train_preset(preset=preset, image_size=image_size), seed=0
    )
    loader = DataLoader(
        dataset, batch_size=128, sampler=EpochSampler(len(dataset), seed=0), num_workers=workers
    )
    start = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
