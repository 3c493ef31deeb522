"""Augmentation throughput on one core: images/s per family, per reference transform, per preset.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/augment.py [--sizes 32 64 128] [--seconds 0.3]

Each row is a ``Preset`` called as in training (``preset(image, seed=i)``, a new seed per image,
so the per-call reseeding is included). Family rows apply the family on every image at a
severity drawn from the ``default`` preset's range; albumentations reference rows apply the
stock transform on every image. Throughput is images per second of this thread's CPU time
(``time.thread_time``), which on a shared machine is steadier than wall time; wall-clock
throughput is printed beside it. The last table gives each family's expected share of the
``default`` preset's time: stage probability / stage size × (family cost − preset overhead).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import albumentations as A
import cv2
import numpy as np
from toy_data import toy_sign

from crowdsign.augment import CORRUPTIONS, PRESETS, FamilyTransform, Preset, train_preset
from crowdsign.augment.transforms import SquareResize

DEFAULT_RANGE = (0.5, 3.0)


def references() -> dict[str, Callable[[], A.BasicTransform]]:
    """Stock albumentations transforms for the same effects (p=1, library defaults)."""
    return {
        "A.RandomFog": lambda: A.RandomFog(p=1.0),
        "A.RandomRain": lambda: A.RandomRain(p=1.0),
        "A.RandomSnow": lambda: A.RandomSnow(p=1.0),
        "A.RandomSunFlare": lambda: A.RandomSunFlare(p=1.0),
        "A.RandomShadow": lambda: A.RandomShadow(p=1.0),
        "A.Affine": lambda: A.Affine(rotate=(-15, 15), scale=(0.7, 1.0), shear=(-10, 10), p=1.0),
        "A.Perspective": lambda: A.Perspective(scale=(0.02, 0.1), p=1.0),
        "A.MotionBlur": lambda: A.MotionBlur(p=1.0),
        "A.Defocus": lambda: A.Defocus(p=1.0),
        "A.ImageCompression": lambda: A.ImageCompression(p=1.0),
        "A.RandomBrightnessContrast": lambda: A.RandomBrightnessContrast(p=1.0),
    }


def throughput(preset: Preset, images: list[np.ndarray], seconds: float) -> tuple[float, float]:
    """(images per CPU-second, images per wall-second) of ``preset`` over ``images``."""
    for i in range(10):
        preset(images[i % len(images)], seed=i)
    n, cpu0, wall0 = 0, time.thread_time(), time.perf_counter()
    while time.thread_time() - cpu0 < seconds:
        for _ in range(20):
            preset(images[n % len(images)], seed=n)
            n += 1
    return n / (time.thread_time() - cpu0), n / (time.perf_counter() - wall0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--seconds", type=float, default=0.3, help="CPU time per measurement")
    args = parser.parse_args()
    cv2.setNumThreads(1)  # one core: OpenCV would otherwise parallelise warps and resizes

    rows: dict[str, dict[int, tuple[float, float]]] = {}
    for size in args.sizes:
        images = [toy_sign(size, rng=np.random.default_rng(i)) for i in range(16)]
        cases: dict[str, Preset] = {}
        for name in CORRUPTIONS:
            family = FamilyTransform(name, severity=DEFAULT_RANGE, p=1.0)
            cases[name] = Preset([family, SquareResize(size)], name=name)
        for name, make in references().items():
            cases[name] = Preset([make(), SquareResize(size)], name=name)
        for name in PRESETS:
            cases[f"preset {name}"] = train_preset(preset=name, image_size=size)
        for name, preset in cases.items():
            rows.setdefault(name, {})[size] = throughput(preset, images, args.seconds)

    sizes = args.sizes
    print(f"images/s on one core (CPU time; wall time in brackets), sizes {sizes}\n")
    print("| transform | " + " | ".join(f"{s} px" for s in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for name, by_size in rows.items():
        cells = " | ".join(f"{by_size[s][0]:,.0f} ({by_size[s][1]:,.0f})" for s in sizes)
        print(f"| {name} | {cells} |")

    print("\nexpected share of the default preset's time per family\n")
    print("| family | " + " | ".join(f"{s} px" for s in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    weights = {}
    for stage in train_preset(preset="default", image_size=sizes[0]).compose.transforms:
        if isinstance(stage, FamilyTransform):
            for name in stage.families:
                weights[name] = stage.p / len(stage.families)
    for name in CORRUPTIONS:
        shares = []
        for s in sizes:
            overhead = 1.0 / rows["preset none"][s][0]
            cost = max(1.0 / rows[name][s][0] - overhead, 0.0)
            shares.append(weights.get(name, 0.0) * cost * rows["preset default"][s][0])
        print(f"| {name} | " + " | ".join(f"{100 * v:.1f} %" for v in shares) + " |")


if __name__ == "__main__":
    main()
