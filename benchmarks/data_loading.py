"""GTSRB load speed: cold decode into the cache vs warm load from it (images/s).

    python benchmarks/data_loading.py                      # ../shared/data/gtsrb, 32 px
    python benchmarks/data_loading.py --image-size 64 --workers 1 2

"Cold" builds a fresh cache entry (listing, decode, resize, write); the files themselves may
already sit in the OS page cache, which this script cannot drop. "Warm" is a later run: listing
plus fingerprint, memmap open, split, and the copy of every split's images into memory.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from crowdsign.data.gtsrb import load_gtsrb

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
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    for workers in args.workers:
        with tempfile.TemporaryDirectory() as cache:
            kw = {"root": args.root, "image_size": args.image_size, "cache_dir": cache}
            splits, cold = timed(load_gtsrb, workers=workers, **kw)
            n = splits.summary.kept
            _, warm = timed(load_gtsrb, workers=workers, **kw)
            print(
                f"gtsrb {n} images at {args.image_size}px, workers={workers or 'all'}: "
                f"cold decode {cold:.2f} s ({n / cold:,.0f} img/s) | "
                f"warm load {warm:.2f} s ({n / warm:,.0f} img/s)"
            )


if __name__ == "__main__":
    main()
