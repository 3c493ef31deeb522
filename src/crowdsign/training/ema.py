"""An exponential moving average of the weights (Polyak averaging), for validation and inference.

``trainer.ema_decay=0.999`` keeps, next to the trained model, a copy whose parameters and
BatchNorm statistics follow ``θ_ema ← d·θ_ema + (1 − d)·θ`` after every optimizer step (torch's
``AveragedModel`` with ``get_ema_multi_avg_fn``). Validation, model selection, ``best.pt`` and
everything downstream (calibration, test, predict, export) use the average; ``last.pt`` also
keeps the trained weights so a killed run resumes exactly. ``ema_decay=0`` (the default) keeps
one model, as before.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class WeightAverage:
    """The EMA of ``model``'s parameters and buffers; ``module`` is a model of the same class."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema decay must be in (0, 1), got {decay}")
        self.decay = decay
        self._avg = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)

    @property
    def module(self) -> nn.Module:
        return self._avg.module

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Fold the current weights of ``model`` into the average (the first call copies them)."""
        self._avg.update_parameters(model)

    def state_dict(self) -> dict[str, Any]:
        return {"module": self.module.state_dict(), "n_averaged": self._avg.n_averaged.clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state["module"])
        self._avg.n_averaged.copy_(state["n_averaged"])


def weight_average(model: nn.Module, decay: float) -> WeightAverage | None:
    """A :class:`WeightAverage` of ``model`` for ``decay`` in (0, 1); ``None`` for 0 (off)."""
    return WeightAverage(model, decay) if decay > 0 else None
