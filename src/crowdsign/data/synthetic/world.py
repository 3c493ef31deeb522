"""The embedded synthetic stop-sign world: render once, cache, load by memmap.

The cache key (see :mod:`crowdsign.data.cache`) is the renderer version plus every argument that
changes a pixel, so a changed config renders a new world and an unchanged one loads in
milliseconds.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from crowdsign.data.cache import cached_arrays
from crowdsign.data.imageset import ImageSet, Splits
from crowdsign.data.splits import apply_train_size
from crowdsign.data.synthetic.scene import draw_params, render_scene
from crowdsign.data.synthetic.signs import DRAWERS

log = logging.getLogger(__name__)

RENDER_VERSION = 4  # bump when a change to the renderer changes pixels
CLASSES = ("background", *DRAWERS)  # multiclass names; "stop" is one of them
SPLIT_IDS = {"train": 0, "val": 1, "test": 2}


# relative shares of the not-stop classes: most to the signs a stop-sign model confuses most on
# real photographs (red-rimmed warning triangles and speed limits), least to what is rare there
NOT_STOP_WEIGHTS = {
    "background": 0.6,
    "yield": 1.0,
    "no_entry": 2.0,
    "prohibitory": 1.0,
    "red_octagon": 0.4,
    "mandatory_blue": 0.6,
    "speed_limit": 1.6,
    "warning": 2.2,
    "red_object": 0.8,
    "other_sign": 1.2,
}
_OTHERS = tuple(NOT_STOP_WEIGHTS)
_CUM = np.cumsum([NOT_STOP_WEIGHTS[k] for k in _OTHERS]) / sum(NOT_STOP_WEIGHTS.values())


def _kind_for(rng: np.random.Generator, stop_fraction: float) -> str:
    if rng.random() < stop_fraction:
        return "stop"
    return _OTHERS[min(int(np.searchsorted(_CUM, rng.random(), side="right")), len(_OTHERS) - 1)]


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


def render_world(
    *, sizes: dict[str, int], image_size: int, stop_fraction: float, seed: int, workers: int
) -> dict[str, np.ndarray]:
    """Every split as cacheable arrays: ``<split>.images`` and one ``<split>.<meta column>``."""
    arrays: dict[str, np.ndarray] = {}
    for split, n in sizes.items():
        images, meta = render_split(seed, split, n, image_size, stop_fraction, workers)
        arrays[f"{split}.images"] = images
        for col in meta.columns:
            values = meta[col].to_numpy()
            arrays[f"{split}.{col}"] = values.astype(str) if values.dtype == object else values
    return arrays


def _imageset(arrays: dict[str, np.ndarray], split: str, task: str) -> ImageSet:
    images = arrays[f"{split}.images"]
    prefix = f"{split}."
    meta = pd.DataFrame(
        {
            k[len(prefix) :]: v
            for k, v in arrays.items()
            if k.startswith(prefix) and k != f"{split}.images"
        }
    )
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
    split_seed: int = 0,
    cache_dir: str = "data/cache",
    decode_workers: int = 0,
    train_size: int | float | None = None,
) -> Splits:
    """The synthetic world's train/val/test splits, rendered on first use and cached.

    Every image is a distinct scene (its own group); ``task`` is ``binary`` (not_stop/stop) or
    ``multiclass`` (:data:`CLASSES`). ``decode_workers=0`` renders on every core. ``train_size``
    keeps a nested, class-stratified subset of train (a count or a fraction).
    """
    if task not in ("binary", "multiclass"):
        raise ValueError(f"task must be 'binary' or 'multiclass', got {task!r}")
    if not 0.0 <= stop_fraction <= 1.0:
        raise ValueError(f"data.stop_fraction must be in [0, 1], got {stop_fraction}")
    sizes = {"train": n_train, "val": n_val, "test": n_test}
    key = {
        "source": "synthetic",
        "render_version": RENDER_VERSION,
        "sizes": sizes,
        "image_size": image_size,
        "stop_fraction": stop_fraction,
        "seed": split_seed,  # the cache key keeps its name
    }
    arrays = cached_arrays(
        cache_dir,
        key,
        lambda: render_world(
            sizes=sizes,
            image_size=image_size,
            stop_fraction=stop_fraction,
            seed=split_seed,
            workers=decode_workers or os.cpu_count() or 1,
        ),
        mmap=[f"{split}.images" for split in sizes],
    )
    splits = Splits(*(_imageset(arrays, split, task) for split in ("train", "val", "test")))
    return apply_train_size(splits, train_size, split_seed)
