"""Training throughput: model-only ceiling vs the full pipeline, per model, on this machine.

    python benchmarks/throughput.py                     # every model, 64 px, CPU or CUDA
    python benchmarks/throughput.py --models compact_resnet --steps 30 --workers 2

Model-only: forward+backward+AdamW step on random tensors already on the device (the ceiling).
Full pipeline: the training DataLoader (albumentations train preset per sample, uint8 batches)
feeding the same step. Prints images/s for both, their ratio, and peak GPU memory on CUDA.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from torch.utils.data import DataLoader

from crowdsign.augment import train_preset
from crowdsign.models.inputs import to_model_input
from crowdsign.runtime.device import Precision
from crowdsign.training.batches import AugmentedImages, EpochSampler
from crowdsign.training.loop import loss_fn

MODELS = {
    "tiny_cnn": {"_target_": "crowdsign.models.TinyCNN"},
    "compact_resnet": {"_target_": "crowdsign.models.CompactResNet", "widths": [32, 64, 128]},
    "resnet18": {"_target_": "crowdsign.models.resnet18_small"},
}


def step_fn(model, optimizer, precision):
    def step(x_uint8: torch.Tensor, y: torch.Tensor) -> None:
        x = to_model_input(x_uint8, device=precision.device, channels_last=precision.channels_last)
        with precision.autocast():
            logits = model(x)
        loss = loss_fn(logits, y.to(precision.device, non_blocking=True), 0.0)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench(name: str, args, precision: Precision) -> dict[str, float]:
    device = precision.device
    model = instantiate(OmegaConf.create(MODELS[name]), num_classes=2).to(device)
    if precision.channels_last:
        model = model.to(memory_format=torch.channels_last)
    fused = device.type == "cuda"
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=fused)
    step = step_fn(model, optimizer, precision)
    s, b = args.size, args.batch_size
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (b, 3, s, s), dtype=torch.uint8, generator=gen).to(device)
    y = torch.randint(0, 2, (b,), generator=gen).to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for _ in range(args.warmup):
        step(x, y)
    sync(device)
    t = time.perf_counter()
    for _ in range(args.steps):
        step(x, y)
    sync(device)
    ceiling = args.steps * b / (time.perf_counter() - t)

    rng = np.random.default_rng(0)
    n = b * (args.steps + args.warmup)
    images = rng.integers(0, 256, (n, s, s, 3), dtype=np.uint8)
    targets = rng.integers(0, 2, n)
    dataset = AugmentedImages(
        images, targets, train_preset(preset=args.preset, image_size=s), seed=0
    )
    loader = DataLoader(
        dataset,
        batch_size=b,
        sampler=EpochSampler(n, seed=0),
        drop_last=True,
        num_workers=args.workers,
        persistent_workers=args.workers > 0,
        pin_memory=device.type == "cuda",
    )
    it = iter(loader)
    for _ in range(args.warmup):
        step(*next(it))
    sync(device)
    t = time.perf_counter()
    for _ in range(args.steps):
        step(*next(it))
    sync(device)
    full = args.steps * b / (time.perf_counter() - t)
    mem = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else float("nan")
    return {"model_only": ceiling, "full": full, "ratio": full / ceiling, "gpu_mib": mem}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--preset", default="default")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    device = torch.device(args.device)
    precision = Precision(
        device=device,
        autocast_dtype=torch.bfloat16 if device.type == "cuda" else None,
        channels_last=device.type == "cuda",
    )
    print(
        f"device={device} threads={torch.get_num_threads()} size={args.size} "
        f"batch={args.batch_size} workers={args.workers} preset={args.preset}"
    )
    print(f"{'model':<16}{'model-only img/s':>18}{'pipeline img/s':>16}{'ratio':>8}{'GPU MiB':>10}")
    for name in args.models:
        r = bench(name, args, precision)
        print(
            f"{name:<16}{r['model_only']:>18.0f}{r['full']:>16.0f}{r['ratio']:>8.2f}"
            f"{r['gpu_mib']:>10.0f}"
        )


if __name__ == "__main__":
    main()
