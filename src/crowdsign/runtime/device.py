"""Where and how a model runs: device, precision, threads and seeds from the trainer config."""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass

import numpy as np
import torch

from crowdsign.errors import ConfigError
from crowdsign.runtime.packing import share_machine


@dataclass(frozen=True)
class Precision:
    """Where and how the model runs."""

    device: torch.device
    autocast_dtype: torch.dtype | None  # None: fp32
    channels_last: bool

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)


def resolve_device(name: str) -> torch.device:
    """``auto`` → CUDA when present, else CPU; an unavailable CUDA request is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.device={name} but CUDA is not available on this machine; "
            "pass trainer.device=auto (or cpu)"
        )
    return device


def resolve_precision(trainer_cfg, device: torch.device) -> Precision:
    """bf16 autocast and channels_last on CUDA (``precision=auto``); fp32 eager on CPU."""
    mode = trainer_cfg.precision
    if mode not in ("auto", "bf16", "fp32"):
        raise ValueError(f"trainer.precision must be auto, bf16 or fp32, got {mode!r}")
    use_bf16 = mode == "bf16" or (mode == "auto" and device.type == "cuda")
    return Precision(
        device=device,
        autocast_dtype=torch.bfloat16 if use_bf16 else None,
        channels_last=bool(trainer_cfg.channels_last and device.type == "cuda"),
    )


def seed_everything(seed: int) -> None:
    """Seed the global RNGs that library code may still touch (model init, dropout)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - third-party code may read the legacy state
    torch.manual_seed(seed)


def configure_threads(threads: int, device: torch.device) -> None:
    """``threads`` torch threads (0: torch's default, or a sweep job's share of the cores) and,
    in a packed sweep on CUDA, this job's share of the GPU memory (:mod:`.packing`)."""
    share_machine(threads, device)
