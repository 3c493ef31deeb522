"""Figures more than one layer draws: the confusion matrix (TensorBoard during training, the
report's confusion.png after it)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def confusion_figure(confusion: torch.Tensor, class_names: tuple[str, ...] | list[str]) -> Figure:
    """A labelled confusion-matrix heatmap (rows: truth, columns: prediction), row-normalised."""
    cm = confusion.float()
    norm = cm / cm.sum(1, keepdim=True).clamp_min(1)
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * n, 1.0 + 0.6 * n), dpi=100)
    ax.imshow(norm.numpy(), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("truth")
    for i in range(n):
        for j in range(n):
            colour = "white" if norm[i, j] > 0.5 else "black"
            ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", color=colour, fontsize=8)
    fig.tight_layout()
    return fig
