"""Temperature scaling (Guo et al. 2017): one scalar ``T`` fitted on the validation split after
training, so that ``softmax(logits / T)`` are calibrated probabilities.

A network trained on noisy crowd targets (or with label smoothing) is under-confident, one trained
long on clean labels over-confident; one temperature fixes most of either without changing a
single argmax. ``T`` is stored in the checkpoint as ``temperature`` and every consumer
(evaluate, predict, the ONNX export) runs :class:`TemperatureScaled`, so they all report the
same probabilities.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from crowdsign.augment import Preset
from crowdsign.data.imageset import ImageSet
from crowdsign.models.inputs import hwc_to_chw, to_model_input
from crowdsign.runtime.device import Precision

T_RANGE = (0.05, 20.0)  # fitted temperatures are clipped to this range


class TemperatureScaled(nn.Module):
    """``model(x) / temperature``: logits whose softmax is calibrated."""

    def __init__(self, model: nn.Module, temperature: float = 1.0) -> None:
        super().__init__()
        if not (math.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature must be a positive number, got {temperature}")
        self.model = model
        self.temperature = float(temperature)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) / self.temperature


@torch.no_grad()
def predict_logits(
    model: nn.Module, images: np.ndarray, *, preset: Preset, precision: Precision, batch_size: int
) -> torch.Tensor:
    """``(N, C)`` float32 logits on the CPU for ``(N, H, W, 3)`` uint8 images through ``preset``."""
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        chunk = np.stack([preset(im) for im in np.asarray(images[start : start + batch_size])])
        x = to_model_input(
            hwc_to_chw(chunk), device=precision.device, channels_last=precision.channels_last
        )
        with precision.autocast():
            out.append(model(x).float().cpu())
    return torch.cat(out) if out else torch.empty(0, 0)


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor, noise: float = 0.0) -> float:
    """The ``T`` minimising the mean NLL of ``softmax(logits / T)`` against ``targets``.

    With ``noise`` ε > 0 the targets are taken as noisy copies of the truth (right with
    probability 1 − ε, otherwise one of the other classes uniformly), and ``T`` maximises their
    likelihood through that noise: ``(1 − ε)·p_y + ε/(C − 1)·(1 − p_y)``. Fitted on noisy crowd
    labels without it, ``T`` calibrates the model to the crowd's mistakes (measured: ECE 0.12
    against truth on GTSRB with a 10%-wrong crowd).

    Args:
        logits: ``(N, C)`` float. targets: ``(N,)`` int64 class indices.
        noise: ε in [0, 1 − 1/C): the share of wrong targets.
    Returns:
        ``T`` in :data:`T_RANGE` (1.0 for no images). Convex in ``log T``: a 1-D golden-section
        search over ``log T`` finds it without a learning rate to tune.
    """
    if len(logits) == 0:
        return 1.0
    logits, targets = logits.double(), targets.long()
    n_classes = logits.shape[1]
    if not 0.0 <= noise < 1.0 - 1.0 / max(n_classes, 2):
        raise ValueError(f"noise must be in [0, 1 - 1/C), got {noise}")

    def nll(log_t: float) -> float:
        if noise == 0.0:
            return F.cross_entropy(logits / math.exp(log_t), targets).item()
        p_y = F.softmax(logits / math.exp(log_t), dim=1).gather(1, targets[:, None])[:, 0]
        seen = (1 - noise) * p_y + noise / (n_classes - 1) * (1 - p_y)
        return -seen.clamp_min(1e-300).log().mean().item()

    lo, hi = math.log(T_RANGE[0]), math.log(T_RANGE[1])
    golden = (math.sqrt(5) - 1) / 2
    a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(60):  # interval shrinks to 0.618^60 of ~6: far below float noise
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - golden * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + golden * (hi - lo)
            fb = nll(b)
    return float(math.exp((lo + hi) / 2))


def calibrate_best(
    model: nn.Module,
    best_state: dict[str, Any],
    val: ImageSet,
    *,
    path: Path,
    save,
    preset: Preset,
    precision: Precision,
    batch_size: int,
    label_noise: float = 0.0,
) -> TemperatureScaled:
    """Fit ``T`` on ``val`` (the images and labels that picked the best epoch; ``label_noise``
    their estimated share of wrong labels), store it in ``best_state["temperature"]``, rewrite
    the checkpoint with ``save(state, path)``, and return the model scaled by it."""
    if val.truth is None or len(val) == 0:
        temperature = 1.0
    else:
        logits = predict_logits(
            model, val.images, preset=preset, precision=precision, batch_size=batch_size
        )
        temperature = fit_temperature(logits, torch.from_numpy(val.truth), label_noise)
    best_state["temperature"] = temperature
    save(best_state, path)
    return TemperatureScaled(model, temperature)
