"""Rebuild a trained model from its checkpoint, with clear errors for a foreign or broken one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from torch import nn

from crowdsign.augment import Preset, eval_preset
from crowdsign.errors import InputError
from crowdsign.runtime.checkpoint import load_checkpoint
from crowdsign.training.calibration import TemperatureScaled

STOP = "stop"  # the stop class of every binary task (crowdsign.data.tasks.BINARY_CLASSES)
REQUIRED_KEYS = ("model._target_", "data.image_size")


@dataclass(frozen=True)
class LoadedModel:
    """A checkpoint's model in eval mode, with what is needed to feed it and read its output.

    Attributes:
        model: the network, ``(B, 3, S, S)`` normalised float → ``(B, C)`` logits already
            divided by the checkpoint's ``temperature`` (their softmax is calibrated).
        class_names: ``(C,)`` names of the output classes.
        image_size: ``S``, the side the eval preset resizes images to.
        stop_indices: outputs that count as a stop sign (empty for a task without one).
        config: the resolved training config stored in the checkpoint.
        epoch: the epoch the weights are from.
        path: the checkpoint file.
        contrast: the contrast normalisation after the resize (``augment.contrast``).
        temperature: the checkpoint's ``temperature`` (1.0 when it has none), inside ``model``.
        threshold: the p(stop) decision threshold chosen on validation for
            ``trainer.target_recall`` (None: none stored; decide by argmax).
    """

    model: nn.Module
    class_names: tuple[str, ...]
    image_size: int
    stop_indices: tuple[int, ...]
    config: dict[str, Any]
    epoch: int
    path: Path
    contrast: str = "none"
    temperature: float = 1.0
    threshold: float | None = None

    def eval_preset(self) -> Preset:
        """A new eval preset of this checkpoint (presets hold RNGs: one per thread): the one
        path from a decoded ``(H, W, 3)`` uint8 image to this model's input."""
        return eval_preset(image_size=self.image_size, contrast=self.contrast)

    @property
    def has_stop(self) -> bool:
        return bool(self.stop_indices)

    def stop_proba(self, probs: torch.Tensor) -> torch.Tensor:
        """``(B,)`` p(stop) from ``(B, C)`` probabilities: the sum over the stop classes."""
        if not self.has_stop:
            raise InputError(f"{self.path} predicts {list(self.class_names)}: no stop class")
        return probs[:, list(self.stop_indices)].sum(1)


def stop_indices(class_names: Sequence[str], data_cfg: Mapping[str, Any]) -> tuple[int, ...]:
    """Outputs that count as stop: the class ``stop`` if present, else the source's own
    ``data.stop_classes`` (names, or integer positions as GTSRB's config uses) found among
    ``class_names``; empty when the task has no stop class."""
    names = list(class_names)
    if STOP in names:
        return (names.index(STOP),)
    found = []
    for cls in data_cfg.get("stop_classes") or ():
        if isinstance(cls, int) and 0 <= cls < len(names):
            found.append(cls)
        elif isinstance(cls, str) and cls in names:
            found.append(names.index(cls))
    return tuple(sorted(set(found)))


def load_model(ckpt_path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Load ``ckpt_path`` (weights only) and rebuild its model exactly as training built it.

    Raises:
        MissingInputError: no such file (a FileNotFoundError).
        InputError: not a crowdsign checkpoint, its config lacks what inference needs, or its
            weights do not fit the model its config describes; the message names the file.
    """
    path = Path(ckpt_path)
    state = load_checkpoint(path)
    if not isinstance(state["config"], dict):
        raise InputError(f"checkpoint {path}: its config is not a mapping")
    cfg = OmegaConf.create(state["config"])
    missing = [key for key in REQUIRED_KEYS if OmegaConf.select(cfg, key) is None]
    if missing:
        raise InputError(
            f"checkpoint {path}: its config lacks {missing}; inference needs the model and the "
            "image size it was trained at (was it written by crowdsign's train()?)"
        )
    class_names = tuple(str(c) for c in state["class_names"])
    model_cfg = cfg.model
    if "weights" in model_cfg:  # the checkpoint holds every weight: never re-read the start file
        model_cfg = OmegaConf.merge(model_cfg, {"weights": None})
    try:
        model = instantiate(model_cfg, num_classes=len(class_names))
    except Exception as e:  # ImportError, TypeError, InstantiationException, ...
        raise InputError(f"checkpoint {path}: cannot build model {cfg.model._target_}: {e}") from e
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:
        raise InputError(
            f"checkpoint {path}: its weights do not fit {cfg.model._target_} with "
            f"{len(class_names)} classes: {e}"
        ) from e
    temperature = float(state.get("temperature", 1.0))
    try:
        model = TemperatureScaled(model, temperature)
    except ValueError as e:
        raise InputError(f"checkpoint {path}: {e}") from None
    model.to(device).eval()
    data_cfg = OmegaConf.to_container(cfg.data, resolve=True)
    assert isinstance(data_cfg, dict)
    return LoadedModel(
        model=model,
        class_names=class_names,
        image_size=int(cfg.data.image_size),
        stop_indices=stop_indices(class_names, data_cfg),
        config=state["config"],
        epoch=int(state["epoch"]),
        path=path,
        contrast=str(OmegaConf.select(cfg, "augment.contrast", default="none")),
        temperature=temperature,
        threshold=None if state.get("threshold") is None else float(state["threshold"]),
    )
