"""torchvision classifiers for small inputs, optionally starting from pretrained weights.

``model=resnet18`` (and the other torchvision options in ``configs/model/``) builds the
architecture with the data's class count. ``weights`` starts it from:

- a file: a state dict saved with ``torch.save(model.state_dict(), path)`` (or a checkpoint
  dict holding one under ``model`` or ``state_dict``), loaded with ``weights_only=True``;
- a torchvision weights name (``DEFAULT``, ``IMAGENET1K_V1``, …), downloaded by torchvision
  when the internet is there. Nothing is ever downloaded unless asked for.

Every tensor is copied except the classifier head's when its shape differs (ImageNet's 1,000
classes): the head is the freshly initialised one sized for the data. Any other difference
(a missing, extra or differently shaped tensor) is a :class:`WeightsError` naming the file and
the first offending key, because it means the file holds another architecture.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torchvision import models as tv

from crowdsign.errors import InputError

WEIGHT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")


class WeightsError(InputError):
    """``model.weights`` names a file that is missing, unreadable or of another architecture
    (or ``model.arch`` no torchvision classifier): one line, exit status 2 at the entry points."""


def torchvision_classifier(
    *,
    arch: str,
    num_classes: int,
    weights: str | None = None,
    small_input: bool = True,
) -> nn.Module:
    """torchvision ``arch`` with ``num_classes`` outputs, from ``weights`` if given.

    ``small_input`` (ResNets only): a 3×3 stride-1 stem and no max-pool, for 32–64 px inputs
    (ImageNet's 7×7 stride-2 stem and max-pool shrink a 64 px image to 16 px before the first
    block). Pretrained ImageNet weights have the 7×7 stem: use ``small_input=false`` with them.
    """
    if arch not in tv.list_models(module=tv):
        raise WeightsError(f"model.arch={arch!r} is not a torchvision classifier")
    model = tv.get_model(arch, weights=None, num_classes=num_classes)
    if small_input and isinstance(model, tv.ResNet):
        width = model.conv1.out_channels
        model.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    if weights:
        load_backbone(model, _read_weights(arch, weights), source=weights)
    return model


def resnet18_small(*, num_classes: int, weights: str | None = None) -> nn.Module:
    """torchvision ``resnet18`` with a 3×3 stride-1 stem and no max-pool, for 32–64 px inputs."""
    return torchvision_classifier(arch="resnet18", num_classes=num_classes, weights=weights)


def head_name(model: nn.Module) -> str:
    """Dotted name of the model's last ``nn.Linear`` (the classifier head)."""
    names = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not names:
        raise ValueError(f"{type(model).__name__} has no linear classifier head")
    return names[-1]


def load_backbone(model: nn.Module, state: dict[str, torch.Tensor], *, source: str) -> None:
    """Copy ``state`` into ``model``; keep the model's own head where the class count differs."""
    own = model.state_dict()
    head = head_name(model) + "."
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if missing or extra:
        key, what = (missing[0], "lacks") if missing else (extra[0], "has an unexpected")
        raise WeightsError(
            f"model.weights={source}: the file {what} key {key!r} "
            f"({len(missing)} missing, {len(extra)} unexpected): it holds another architecture"
        )
    kept = {}
    for key, value in state.items():
        if value.shape == own[key].shape:
            kept[key] = value
        elif not key.startswith(head):
            raise WeightsError(
                f"model.weights={source}: {key!r} has shape {tuple(value.shape)} but the model "
                f"needs {tuple(own[key].shape)}"
                + (" (ImageNet stem? set model.small_input=false)" if "conv1" in key else "")
            )
    model.load_state_dict(kept, strict=False)


def _read_weights(arch: str, weights: str) -> dict[str, torch.Tensor]:
    """A state dict from a file path, or from torchvision's weights of that name."""
    if not _is_path(weights):
        try:
            return tv.get_model_weights(arch)[weights].get_state_dict(progress=False)
        except KeyError:
            raise WeightsError(
                f"model.weights={weights}: no such file, and not a torchvision weights name "
                f"for {arch} (one of {[w.name for w in tv.get_model_weights(arch)]})"
            ) from None
        except OSError as err:  # no internet
            raise WeightsError(
                f"model.weights={weights}: could not download torchvision's weights ({err}); "
                "give the path of a saved state dict instead"
            ) from None
    path = Path(weights)
    if not path.is_file():
        raise WeightsError(f"model.weights={weights}: no such file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure means a bad file
        raise WeightsError(
            f"model.weights={weights}: not a readable torch state dict ({type(err).__name__}); "
            "save one with torch.save(model.state_dict(), path)"
        ) from None
    if isinstance(state, dict):
        state = state.get("model", state.get("state_dict", state))
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"model.weights={weights}: the file holds no state dict of tensors")
    return {k.removeprefix("module.").removeprefix("_orig_mod."): v for k, v in state.items()}


def _is_path(weights: str) -> bool:
    """A file path (existing, or shaped like one) rather than a torchvision weights name."""
    return (
        Path(weights).exists()
        or "/" in weights
        or "\\" in weights
        or weights.endswith(WEIGHT_SUFFIXES)
    )
