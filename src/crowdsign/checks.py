"""Value checks declared beside the config schemas, run on the composed config.

A schema field declares what values it accepts with :func:`checked`::

    batch_size: int = checked(128, ge=1)
    precision: str = checked("auto", choices=("auto", "bf16", "fp32"))

and :func:`validate_config` walks a composed config, finds each typed node's dataclass and
checks every declared field, so ``trainer.batch_size=0`` or ``trainer.precision=bf17`` stops the
command (:class:`~crowdsign.errors.ConfigError`, one line, exit status 2) before any data loads.
Hydra already refuses unknown keys and wrong types at compose time; these are the values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, OmegaConf

from crowdsign.errors import ConfigError

CHECK = "check"

# keys renamed so that each name means one thing (issue 14): old -> new
RENAMED_KEYS = {
    "trainer.num_workers": "trainer.loader_workers",  # DataLoader workers
    "data.workers": "data.decode_workers",  # threads decoding (or rendering) the images
    "workers": "decode_workers",  # predict.py's decode threads
    "data.seed": "data.split_seed",  # the split, fixed across a sweep's seeds
    "task_name": "run_name",  # the run dir's name
    # how answers become the training signal: one node, the robust group's
    "aggregate.target": "robust.target",
    "trainer.label_smoothing": "robust.label_smoothing",
    "trainer.gce_q": "robust.gce_q",
    "crowd_loss": "robust.crowd_loss",
    "consensus": "robust.consensus",
}


@dataclass(frozen=True)
class Check:
    """Bounds (inclusive ``ge``/``le``, exclusive ``gt``/``lt``) or a closed set of choices."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[Any, ...] | None = None

    def bounds(self) -> list[tuple[float, str]]:
        """The bounds that are set, as ``(bound, operator)``."""
        pairs = ((self.ge, ">="), (self.gt, ">"), (self.le, "<="), (self.lt, "<"))
        return [(b, op) for b, op in pairs if b is not None]

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not accepted, or None when it is."""
        if self.choices is not None:
            if value not in self.choices:
                return f"is not one of {', '.join(map(str, self.choices))}"
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None  # a type Hydra checks (or an Any field holding something else)
        holds = {
            ">=": lambda b: value >= b,
            ">": lambda b: value > b,
            "<=": lambda b: value <= b,
            "<": lambda b: value < b,
        }
        if all(holds[op](b) for b, op in self.bounds()):  # NaN fails every bound
            return None
        return f"must be {self.hint().removeprefix('a value ')}"

    def hint(self) -> str:
        """What to pass instead, for the error message."""
        if self.choices is not None:
            return "one of them"
        return "a value " + " and ".join(f"{op} {b:g}" for b, op in self.bounds())


def checked(default: Any, **check: Any) -> Any:
    """A dataclass field with ``default`` whose values :func:`validate_config` checks."""
    if "choices" in check:
        check["choices"] = tuple(check["choices"])
    return field(default=default, metadata={CHECK: Check(**check)})


def validate_config(cfg: DictConfig, prefix: str = "") -> None:
    """Check every declared field of every typed node in ``cfg``; raise :class:`ConfigError`.

    A node's own fields are checked before its children (``task=multi`` is reported as
    ``task``, not as the ``data.task`` that interpolates it). Only checked fields are
    resolved, so unrelated interpolations are left alone; missing (``???``) and ``None`` values
    are not checked (Hydra reports a missing one where it is read).
    """
    schema = OmegaConf.get_type(cfg)
    checks: dict[str, Check] = {}
    if schema is not None and dataclasses.is_dataclass(schema):
        checks = {
            f.name: f.metadata[CHECK] for f in dataclasses.fields(schema) if CHECK in f.metadata
        }
    children = []
    for key in cfg:
        if OmegaConf.is_missing(cfg, key):
            continue
        node = cfg._get_node(key)
        if isinstance(node, DictConfig) and not node._is_none() and not node._is_interpolation():
            children.append((key, node))
        elif key in checks:
            _check_value(f"{prefix}{key}", cfg[key], checks[key])
    for key, node in children:
        validate_config(node, prefix=f"{prefix}{key}.")


def _check_value(path: str, value: Any, check: Check) -> None:
    problem = None if value is None else check.problem(value)
    if problem:
        raise ConfigError(
            f"{path}={value!r} {problem}: pass {path}=<{check.hint()}> "
            "(on the command line or in its config file)"
        )


def reject_renamed_keys(overrides: Sequence[str]) -> None:
    """Raise :class:`ConfigError` for a command-line override of a renamed key (one line naming
    the new key), before Hydra composes and says only that the old key is unknown."""
    for item in overrides:
        key = item.lstrip("+~").split("=", 1)[0]
        for old, new in RENAMED_KEYS.items():
            if key == old or key.startswith(f"{old}."):
                new_key = new + key.removeprefix(old)
                raise ConfigError(
                    f"{key} was renamed {new_key}: pass {new_key}=<value> instead of {item}"
                )
