"""Training: ``train(cfg) -> dict[str, float]``.

``train`` is imported lazily so that light modules (``training.loop``, ``training.checkpoint``)
can be used by evaluation and inference without pulling in the whole pipeline (and without an
import cycle through :mod:`crowdsign.runtime.scoring`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crowdsign.training.run import train

__all__ = ["train"]


def __getattr__(name: str):
    if name == "train":
        from crowdsign.training.run import train

        return train
    raise AttributeError(f"module 'crowdsign.training' has no attribute {name!r}")
