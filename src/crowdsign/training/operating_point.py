"""An operating point: the p(stop) threshold that reaches a target stop recall on validation.

Missing a stop sign costs more than a false alarm, so the decision is not the argmax: the
threshold is the largest one whose stop recall on the selection set (the crowd's validation
targets by default, never the test split) is at least ``trainer.target_recall``. It is stored
in the checkpoint as ``threshold`` and used by ``predict.py`` and ``export.py``.

Only labels that can certify a recall choose it: gold or true validation labels, or a source's
own labels. The crowd's aggregated answers cannot: every validation image the crowd wrongly
calls "stop" is a stop sign the threshold must "catch", and the model rightly scores it low, so
the threshold falls toward 0 (measured: 0.06 for the default run, precision 0.03 on real
photos). With ``trainer.selection=crowd`` the checkpoint keeps the argmax (threshold 0.5 on
calibrated probabilities) and ``metrics.json`` says why; ``trainer.selection=gold
data.gold_size=<n>`` buys the labels that can set one.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from crowdsign.data.imageset import ImageSet
from crowdsign.errors import ConfigError
from crowdsign.runtime.device import Precision
from crowdsign.runtime.scoring import evaluate_split
from crowdsign.training.selection import SelectionSet

log = logging.getLogger(__name__)
# selection labels that can certify a stop recall: not the crowd's (its noise caps any recall)
CERTIFYING = ("gold", "truth", "source")


def choose_threshold(p_stop: np.ndarray, is_stop: np.ndarray, target_recall: float) -> dict:
    """The largest threshold ``t`` with recall of ``p_stop >= t`` on ``is_stop`` ≥ target.

    Returns ``threshold`` (None without a stop sign among the labels), the ``recall`` and
    ``precision`` it gets there, and ``n_stop``.
    """
    if not 0 < target_recall <= 1:
        raise ConfigError(f"trainer.target_recall={target_recall} must be in (0, 1] (0: off)")
    p = np.asarray(p_stop, dtype=float)
    y = np.asarray(is_stop, dtype=bool)
    n_stop = int(y.sum())
    if n_stop == 0:
        return {"threshold": None, "recall": math.nan, "precision": math.nan, "n_stop": 0}
    scores = np.sort(p[y])[::-1]  # stop signs' scores, highest first
    need = math.ceil(target_recall * n_stop - 1e-9)  # stop signs that must be caught
    t = float(scores[need - 1])
    said = p >= t
    return {
        "threshold": t,
        "recall": float((said & y).sum() / n_stop),
        "precision": float((said & y).sum() / max(int(said.sum()), 1)),
        "n_stop": n_stop,
    }


def at_threshold(p_stop: np.ndarray, is_stop: np.ndarray, threshold: float) -> dict[str, float]:
    """Stop recall and precision of the decision ``p_stop >= threshold``."""
    said, y = np.asarray(p_stop) >= threshold, np.asarray(is_stop, dtype=bool)
    tp = float((said & y).sum())
    return {
        "stop_recall_at_threshold": tp / max(int(y.sum()), 1),
        "stop_precision_at_threshold": tp / max(int(said.sum()), 1),
    }


def operating_point(
    cfg: Any,
    model: nn.Module,
    selection: SelectionSet,
    test: ImageSet,
    test_probs: torch.Tensor,
    precision: Precision,
    preset: Any,
) -> dict[str, float]:
    """``val/threshold`` for ``trainer.target_recall`` and what it gives on test (no stop: {})."""
    names = list(test.class_names)
    if not cfg.trainer.target_recall or "stop" not in names:
        return {}
    if selection.by not in CERTIFYING:
        log.info(
            "threshold: argmax kept; %s labels cannot certify stop recall %.2f "
            "(trainer.selection=gold data.gold_size=<n> can)",
            selection.by,
            cfg.trainer.target_recall,
        )
        return {}
    s = names.index("stop")
    _, _, probs = evaluate_split(
        model,
        selection.images,
        precision=precision,
        batch_size=cfg.trainer.eval_batch_size,
        preset=preset,
        labels=selection.labels,
    )
    chosen = choose_threshold(probs[:, s].numpy(), selection.labels == s, cfg.trainer.target_recall)
    if chosen["threshold"] is None:
        return {}
    test_at = at_threshold(test_probs[:, s].numpy(), test.truth == s, chosen["threshold"])
    return {
        "val/threshold": chosen["threshold"],
        "val/stop_recall_at_threshold": chosen["recall"],
        **{f"test/{k}": v for k, v in test_at.items()},
    }
