"""The sections of ``benchmarks/gpu_suite.py``; each returns rows ``(section, measure, value,
goal)`` of the suite's Markdown table. See the suite's docstring for what each measures."""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from throughput import step_fn
from torch.utils.data import DataLoader

from crowdsign.augment import train_preset
from crowdsign.augment.device import device_train_preset
from crowdsign.runtime.device import Precision
from crowdsign.training.batches import AugmentedImages, EpochSampler
from crowdsign.training.device_batches import DeviceBatches

REPO = Path(__file__).resolve().parents[1]
Row = tuple[str, str, str, str]
MODELS = {
    "compact_resnet": {"_target_": "crowdsign.models.CompactResNet", "widths": [32, 64, 128]},
    "resnet18": {"_target_": "crowdsign.models.torchvision_classifier", "arch": "resnet18"},
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def precision_for(device: torch.device) -> Precision:
    cuda = device.type == "cuda"
    return Precision(device, torch.bfloat16 if cuda else None, channels_last=cuda)


# --- throughput ---------------------------------------------------------------------------------
def timed(step, batches, warmup: int, steps: int, device: torch.device) -> float:
    """Images/s of ``step`` over ``steps`` batches from ``batches`` after ``warmup``."""
    it = iter(batches)
    for _ in range(warmup):
        step(*next(it))
    sync(device)
    start, seen = time.perf_counter(), 0
    for _ in range(steps):
        x, y = next(it)
        step(x, y)
        seen += len(y)
    sync(device)
    return seen / (time.perf_counter() - start)


def throughput_rows(args: argparse.Namespace, device: torch.device) -> list[Row]:
    precision, rows = precision_for(device), []
    s, b, warmup = args.size, args.batch, 1 if args.quick else 3
    n = b * (args.steps + warmup + 1)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, s, s, 3), dtype=np.uint8)
    targets = rng.integers(0, 2, n)
    for name, spec in MODELS.items():
        model = instantiate(OmegaConf.create(spec), num_classes=2).to(device)
        if precision.channels_last:
            model = model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=device.type == "cuda")
        step = step_fn(model, optimizer, precision)
        x = torch.from_numpy(images[:b]).permute(0, 3, 1, 2).contiguous().to(device)
        y = torch.from_numpy(targets[:b]).to(device)
        alone = timed(step, itertools.repeat((x, y)), warmup, args.steps, device)
        cpu = timed(step, cpu_loader(images, targets, args, device), warmup, args.steps, device)
        dev = timed(step, device_loader(images, targets, args, device), warmup, args.steps, device)
        rows += [
            ("throughput", f"{name} {s} px model only, images/s", f"{alone:,.0f}", ""),
            (
                "throughput",
                f"{name} full pipeline, CPU loader ({args.workers} workers), images/s (ratio)",
                f"{cpu:,.0f} ({cpu / alone:.2f})",
                "",
            ),
            (
                "throughput",
                f"{name} full pipeline, device loader, images/s (ratio)",
                f"{dev:,.0f} ({dev / alone:.2f})",
                ">= 0.90 of model only (GPU)",
            ),
        ]
    return rows


def cpu_loader(images, targets, args, device) -> DataLoader:
    preset = train_preset(preset="default", image_size=args.size)
    return DataLoader(
        AugmentedImages(images, targets, preset, seed=0),
        batch_size=args.batch,
        sampler=EpochSampler(len(images), seed=0),
        drop_last=True,
        num_workers=args.workers,
        persistent_workers=args.workers > 0,
        pin_memory=device.type == "cuda",
    )


def device_loader(images, targets, args, device) -> DeviceBatches:
    preset = device_train_preset(preset="default", image_size=args.size)
    sampler = EpochSampler(len(images), seed=0)
    return DeviceBatches(
        images, targets, preset, sampler=sampler, batch_size=args.batch, device=device, seed=0
    )


# --- GTSRB --------------------------------------------------------------------------------------
def compose_train(overrides: list[str]):
    """The train config as ``python train.py <overrides>`` composes it (no Hydra run dir)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict

    from crowdsign.config import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(REPO / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=overrides, return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        del cfg.hydra
    GlobalHydra.instance().clear()
    return cfg


def gtsrb_overrides(args: argparse.Namespace, device: torch.device) -> tuple[str, list[str]]:
    """(recipe name, overrides): experiment=gtsrb_gpu when it exists, else the fallback."""
    if args.quick:
        return "debug=smoke (synthetic, --quick)", ["debug=smoke", "trainer.data_on_device=true"]
    root = [f"data.root={args.gtsrb_root}"]
    if (REPO / "configs/experiment/gtsrb_gpu.yaml").exists():
        return "experiment=gtsrb_gpu", ["experiment=gtsrb_gpu", *root]
    recipe = [
        "data=gtsrb",
        "task=multiclass",
        "crowd=none",
        "model=resnet18",
        "trainer=gpu",
        "trainer.epochs=8",
        "trainer.balance=weights",
    ]
    return "fallback: " + " ".join(recipe), [*recipe, *root]


def gtsrb_rows(args: argparse.Namespace, device: torch.device, work: Path) -> list[Row]:
    from crowdsign.pipeline import train

    if not args.quick and not Path(args.gtsrb_root).exists():
        return [("gtsrb", "time to 99% on GTSRB", f"skipped: no {args.gtsrb_root}", "")]
    recipe, overrides = gtsrb_overrides(args, device)
    out = work / "gtsrb"
    cfg = compose_train(
        [
            *overrides,
            f"trainer.device={device}",
            "trainer.progress=false",
            f"paths.output_dir={out}",
            f"paths.cache_dir={REPO / 'data/cache'}",
        ]
    )
    start = time.perf_counter()
    metrics = train(cfg)
    wall = time.perf_counter() - start
    acc = metrics["test/accuracy"]
    return [
        ("gtsrb", f"recipe: {recipe}", "", ""),
        (
            "gtsrb",
            "wall s (data, train, test) / train s",
            f"{wall:.0f} / {metrics['time/train_s']:.0f}",
            "<= 60 s",
        ),
        (
            "gtsrb",
            "test accuracy (smoke world)" if args.quick else "test accuracy (held-apart photos)",
            f"{acc:.4f}",
            ">= 0.99",
        ),
    ]


# --- aggregation --------------------------------------------------------------------------------
def aggregate_rows(args: argparse.Namespace, device: torch.device) -> list[Row]:
    from toy_data import synthetic_crowd

    from crowdsign.crowd.aggregate import GLAD, DawidSkene

    shares = {"reliable": 0.5, "average": 0.25, "weak": 0.15, "spammer": 0.1}
    crowd = synthetic_crowd(args.answers // 10, 2000, 2, 10, shares=shares, seed=0)
    codes = crowd.codes.to(device)
    rows = []
    for method, goal in ((DawidSkene, "<= 0.2 s (GPU)"), (GLAD, "<= 1 s (GPU); <= 3 s CPU")):
        method().fit_codes(codes)  # warm-up: kernels, allocator
        sync(device)
        start = time.perf_counter()
        model = method().fit_codes(codes)
        sync(device)
        seconds = time.perf_counter() - start
        rows.append(
            (
                "aggregate",
                f"{method.__name__} on {codes.n_answers:,} answers, s ({model.n_iter_} iterations)",
                f"{seconds:.2f}",
                goal,
            )
        )
    return rows


# --- packing ------------------------------------------------------------------------------------
def sweep_seconds(args, device: torch.device, work: Path, runs: int, jobs: int) -> float:
    """Wall seconds of ``python train.py -m`` over ``runs`` seeds with ``jobs`` at once."""
    run = (
        ["debug=smoke", "trainer.max_steps=4", "trainer.epochs=1"]
        if args.quick
        else [
            "trainer.data_on_device=true",
            "data.train_size=2000",
            "trainer.epochs=3",
            "trainer.compile=false",
        ]
    )
    cmd = [
        sys.executable,
        str(REPO / "train.py"),
        "-m",
        *run,
        f"seed={','.join(str(s) for s in range(runs))}",
        f"trainer.device={device}",
        "trainer.progress=false",
        "hydra/launcher=gpu_pack",
        f"hydra.launcher.n_jobs={jobs}",
        f"hydra.sweep.dir={work / f'sweep_{jobs}'}",
    ]
    env = {**os.environ, "CROWDSIGN_CACHE": str(REPO / "data/cache")}
    start = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def packing_rows(args: argparse.Namespace, device: torch.device, work: Path) -> list[Row]:
    if not args.quick:  # --quick: the gtsrb section has rendered the smoke world already
        sweep_seconds(args, device, work / "warm", 1, 1)  # renders / caches the world once
    packed = sweep_seconds(args, device, work, args.sweep_runs, args.pack_jobs)
    alone = sweep_seconds(args, device, work, args.sequential_runs, 1)
    sequential = alone * args.sweep_runs / args.sequential_runs
    return [
        (
            "packing",
            f"{args.sweep_runs}-run sweep, {args.pack_jobs} jobs at once, wall s",
            f"{packed:.0f}",
            "",
        ),
        (
            "packing",
            f"one at a time, wall s ({args.sequential_runs} runs measured, scaled)",
            f"{sequential:.0f}",
            "",
        ),
        (
            "packing",
            "sweep throughput, packed / one at a time",
            f"{sequential / packed:.2f}x",
            ">= 3x (GPU)",
        ),
    ]
