"""Train augmentation throughput: the NumPy/cv2 preset vs its batched torch twin on a device.

    OMP_NUM_THREADS=1 python benchmarks/augment_device.py                 # CPU, one thread
    python benchmarks/augment_device.py --device cuda --batch 512         # on a GPU

Rows: the ``default`` preset (every stage at its probability) and each family at a severity
drawn from the preset's range, as images/s, for

- ``numpy``: ``Preset(image, seed)`` / the family function, one image at a time (what one
  DataLoader worker does);
- ``torch``: ``device_train_preset`` / the device family on a batch of ``--batch`` images;
- viewpoint only: kornia's batched warp with one matrix per image vs torchvision v2's
  ``F.affine`` / ``F.perspective``, which take one set of parameters per call, so per-image
  randomness means one call per image (the batched call with one shared set is shown too).

Images: ``--n`` textured toy stop signs (``tests/toy_sign.py``) at ``--size``
px. CPU rows time this process's CPU seconds (steadier than wall time on a shared machine);
CUDA rows time wall seconds after ``torch.cuda.synchronize``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from toy_data import toy_sign

from crowdsign.augment import FAMILIES, train_preset
from crowdsign.augment.device import DEVICE_FAMILIES, device_train_preset

SEVERITY = (0.5, 3.0)


def clock(device: torch.device) -> Callable[[], float]:
    if device.type == "cuda":

        def wall() -> float:
            torch.cuda.synchronize(device)
            return time.perf_counter()

        return wall
    return time.process_time


def rate(fn: Callable[[], object], images: int, seconds: float, now: Callable[[], float]) -> float:
    """Images per second of ``fn`` (which handles ``images`` images per call)."""
    fn()  # warm-up (kernels, caches)
    start, calls = now(), 0
    while now() - start < seconds or calls < 2:
        fn()
        calls += 1
    return calls * images / (now() - start)


def numpy_rows(images: np.ndarray, seconds: float) -> dict[str, float]:
    preset = train_preset(preset="default", image_size=images.shape[1])
    rng = np.random.default_rng(0)
    severities = rng.uniform(*SEVERITY, size=len(images))
    rows = {
        "default preset": rate(
            lambda: [preset(im, seed=i) for i, im in enumerate(images)],
            len(images),
            seconds,
            time.process_time,
        )
    }
    for name in DEVICE_FAMILIES:
        fn = FAMILIES[name].fn
        rows[name] = rate(
            lambda fn=fn: [fn(im, s, rng) for im, s in zip(images, severities, strict=True)],
            len(images),
            seconds,
            time.process_time,
        )
    return rows


def torch_rows(batch: torch.Tensor, seconds: float, device: torch.device) -> dict[str, float]:
    now, n = clock(device), len(batch)
    g = torch.Generator(device=device).manual_seed(0)
    preset = device_train_preset(preset="default", image_size=batch.shape[-1])
    severities = torch.empty(n, device=device).uniform_(*SEVERITY, generator=g)
    x = batch.float()
    rows = {"default preset": rate(lambda: preset(batch, g), n, seconds, now)}
    for name, fn in DEVICE_FAMILIES.items():
        rows[name] = rate(lambda fn=fn: fn(x, severities, g), n, seconds, now)
    return rows


def torchvision_rows(batch: torch.Tensor, seconds: float, device: torch.device) -> dict[str, float]:
    """torchvision v2: per-image calls (per-image parameters) and one batched call (shared)."""
    from torchvision.transforms.v2 import functional as TF

    now, n, x = clock(device), len(batch), batch.float()
    angles = torch.empty(n).uniform_(-15, 15, generator=torch.Generator().manual_seed(0)).tolist()
    h, w = x.shape[-2:]
    start = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
    end = [[2, 1], [w - 3, 2], [w - 1, h - 1], [0, h - 2]]

    def affine_each() -> None:
        for i, a in enumerate(angles):
            TF.affine(x[i], angle=a, translate=[0, 0], scale=1.0, shear=[0.0, 0.0])

    def perspective_each() -> None:
        for i in range(n):
            TF.perspective(x[i], startpoints=start, endpoints=end)

    return {
        "rotation": rate(affine_each, n, seconds, now),
        "rotation (one angle per batch)": rate(
            lambda: TF.affine(x, angle=10.0, translate=[0, 0], scale=1.0, shear=[0.0, 0.0]),
            n,
            seconds,
            now,
        ),
        "perspective": rate(perspective_each, n, seconds, now),
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--n", type=int, default=256, help="images (the torch batch size)")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--seconds", type=float, default=0.5, help="timing per row")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    images = np.stack([toy_sign(args.size, rng=np.random.default_rng(i)) for i in range(args.n)])
    batch = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous().to(device)
    ours = numpy_rows(images, args.seconds)
    theirs = torch_rows(batch, args.seconds, device)
    tv = torchvision_rows(batch, args.seconds, device)
    print(
        f"# Augmentation images/s at {args.size} px: NumPy one image at a time on the CPU "
        f"({torch.get_num_threads()} torch threads, cv2 threads {cv2_threads()}) vs torch "
        f"batches of {args.n} on {device}\n"
    )
    print("| family | NumPy/cv2 | torch (kornia) batched | ratio | torchvision v2 per image |")
    print("|---|---:|---:|---:|---:|")
    for name, value in ours.items():
        tv_cell = f"{tv[name]:,.0f}" if name in tv else ""
        print(
            f"| {name} | {value:,.0f} | {theirs[name]:,.0f} | {theirs[name] / value:.1f}x "
            f"| {tv_cell} |"
        )
    shared = tv["rotation (one angle per batch)"]
    print(
        f"\ntorchvision v2 rotation of the whole batch by one shared angle: {shared:,.0f} images/s"
    )


def cv2_threads() -> int:
    import cv2

    return cv2.getNumThreads()


if __name__ == "__main__":
    main()
