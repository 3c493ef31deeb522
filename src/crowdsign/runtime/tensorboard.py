"""TensorBoard logging for a run: scalars, an augmented-image grid, confusion, hparams."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image
from torch.utils.tensorboard import SummaryWriter
from torchvision.utils import make_grid

from crowdsign.runtime.figures import confusion_figure


class RunLogger:
    """A thin wrapper over ``SummaryWriter`` with the few figures crowdsign logs."""

    def __init__(self, log_dir: Path, *, enabled: bool = True) -> None:
        self.writer = SummaryWriter(str(log_dir)) if enabled else None

    def scalars(self, values: dict[str, float], step: int, prefix: str = "") -> None:
        if self.writer is None:
            return
        for k, v in values.items():
            self.writer.add_scalar(f"{prefix}{k}", v, step)

    def image_grid(self, tag: str, images_uint8: torch.Tensor, step: int, n: int = 64) -> None:
        """``images_uint8``: ``(B, 3, H, W)`` uint8."""
        if self.writer is None:
            return
        grid = make_grid(images_uint8[:n], nrow=8, padding=1)
        self.writer.add_image(tag, grid, step)

    def confusion(self, tag: str, confusion: torch.Tensor, class_names, step: int) -> None:
        if self.writer is None:
            return
        fig = confusion_figure(confusion, class_names)
        self.writer.add_figure(tag, fig, step)
        plt.close(fig)

    def png(self, tag: str, path: Path, step: int) -> None:
        """A PNG file written by a report (e.g. the robustness grid) as an image."""
        if self.writer is None:
            return
        image = np.asarray(Image.open(path).convert("RGB"))
        self.writer.add_image(tag, image, step, dataformats="HWC")

    def text(self, tag: str, markdown: str, step: int = 0) -> None:
        if self.writer is not None:
            self.writer.add_text(tag, markdown, step)

    def hparams(self, hparams: dict, metrics: dict[str, float]) -> None:
        if self.writer is None:
            return
        clean = {
            k: v if isinstance(v, int | float | str | bool) else str(v) for k, v in hparams.items()
        }
        self.writer.add_hparams(clean, {f"hparam/{k}": v for k, v in metrics.items()}, run_name=".")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
