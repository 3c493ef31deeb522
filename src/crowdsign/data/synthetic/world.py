"""The embedded synthetic stop-sign world: render once, cache, load by memmap.

The cache key is the renderer version plus every argument that changes a pixel, so a changed
config renders a new world and an unchanged one loads in milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsign.data.imageset import ImageSet, Splits
from crowdsign.data.synthetic.scene import draw_params, render_scene
from crowdsign.data.synthetic.signs import DRAWERS

log = logging.getLogger(__name__)

RENDER_VERSION = 1  # bump when a change to the renderer changes pixels
CLASSES = ("background", *DRAWERS)  # multiclass names; "stop" is one of them
SPLIT_IDS = {"train": 0, "val": 1, "test": 2}


def _kind_for(rng: np.random.Generator, stop_fraction: float) -> str:
    if rng.random() < stop_fraction:
        return "stop"
    others = [c for c in CLASSES if c != "stop"]
    return others[rng.integers(len(others))]


def render_range(
    seed: int, split: str, start: int, stop: int, image_size: int, stop_fraction: float
) -> tuple[np.ndarray, list[dict]]:
    """Render images ``start..stop`` of ``split``; image ``i`` depends only on (seed, split, i)."""
    images = np.empty((stop - start, image_size, image_size, 3), np.uint8)
    meta = []
    for j, i in enumerate(range(start, stop)):
        rng = np.random.default_rng([seed, SPLIT_IDS[split], i])
        p = draw_params(_kind_for(rng, stop_fraction), rng)
        images[j] = render_scene(p, image_size, rng)
        row = {k: getattr(p, k) for k in p.__dataclass_fields__}
        row["difficulty"] = p.difficulty
        meta.append(row)
    return images, meta


def render_split(
    seed: int, split: str, n: int, image_size: int, stop_fraction: float, workers: int
) -> tuple[np.ndarray, pd.DataFrame]:
    chunk = 500
    ranges = [(a, min(a + chunk, n)) for a in range(0, n, chunk)]
    args = [(seed, split, a, b, image_size, stop_fraction) for a, b in ranges]
    if workers == 1 or len(ranges) == 1:
        parts = [render_range(*a) for a in args]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(render_range, *zip(*args, strict=True)))
    images = (
        np.concatenate([p[0] for p in parts])
        if parts
        else np.empty((0, image_size, image_size, 3), np.uint8)
    )
    meta = pd.DataFrame([row for p in parts for row in p[1]])
    return images, meta


def cache_key(**params: object) -> str:
    blob = json.dumps({"render_version": RENDER_VERSION, **params}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build_world(
    root: Path,
    *,
    sizes: dict[str, int],
    image_size: int,
    stop_fraction: float,
    seed: int,
    workers: int,
) -> None:
    """Render all splits into a temp dir beside ``root`` and rename it into place (atomic)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=root.name + ".tmp-"))
    try:
        for split, n in sizes.items():
            images, meta = render_split(seed, split, n, image_size, stop_fraction, workers)
            np.save(tmp / f"{split}_images.npy", images)
            meta.to_csv(tmp / f"{split}_meta.csv", index=False)
        (tmp / "params.json").write_text(
            json.dumps(
                {
                    "render_version": RENDER_VERSION,
                    "sizes": sizes,
                    "image_size": image_size,
                    "stop_fraction": stop_fraction,
                    "seed": seed,
                },
                indent=2,
            )
        )
        try:
            os.replace(tmp, root)
        except OSError:  # another process finished first: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _imageset(root: Path, split: str, task: str) -> ImageSet:
    images = np.load(root / f"{split}_images.npy", mmap_mode="r")
    meta = pd.read_csv(root / f"{split}_meta.csv")
    kind = meta["kind"].to_numpy()
    if task == "binary":
        class_names: tuple[str, ...] = ("not_stop", "stop")
        truth = (kind == "stop").astype(np.int64)
    else:
        class_names = CLASSES
        truth = pd.Index(CLASSES).get_indexer(kind).astype(np.int64)
    ids = np.array([f"{split}/{i:06d}" for i in range(len(images))])
    return ImageSet(
        images=images,
        image_id=ids,
        group=np.arange(len(images), dtype=np.int64),
        class_names=class_names,
        truth=truth,
        meta=meta,
    )


def load_synthetic(
    *,
    task: str = "binary",
    image_size: int = 64,
    n_train: int = 10_000,
    n_val: int = 2_000,
    n_test: int = 2_000,
    stop_fraction: float = 0.4,
    seed: int = 0,
    cache_dir: str = "data/cache",
    workers: int = 0,
) -> Splits:
    """The synthetic world's train/val/test splits, rendered on first use and cached.

    Every image is a distinct scene (its own group); ``task`` is ``binary`` (not_stop/stop) or
    ``multiclass`` (:data:`CLASSES`). ``workers=0`` renders on every core.
    """
    if task not in ("binary", "multiclass"):
        raise ValueError(f"data.task must be 'binary' or 'multiclass', got {task!r}")
    if not 0.0 <= stop_fraction <= 1.0:
        raise ValueError(f"data.stop_fraction must be in [0, 1], got {stop_fraction}")
    sizes = {"train": n_train, "val": n_val, "test": n_test}
    key = cache_key(sizes=sizes, image_size=image_size, stop_fraction=stop_fraction, seed=seed)
    root = Path(cache_dir) / f"synthetic-{key}"
    if not (root / "params.json").exists():
        n = sum(sizes.values())
        log.info("rendering the synthetic world (%d images) into %s", n, root)
        build_world(
            root,
            sizes=sizes,
            image_size=image_size,
            stop_fraction=stop_fraction,
            seed=seed,
            workers=workers or os.cpu_count() or 1,
        )
    return Splits(*(_imageset(root, split, task) for split in ("train", "val", "test")))
