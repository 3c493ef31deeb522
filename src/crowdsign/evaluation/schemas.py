"""Config schemas of the ``report`` group: what ``evaluate.py`` reports.

Each report is a ``_partial_`` function called with the whole evaluate config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class StandardReportConfig:
    """Metrics and confusion matrix of a checkpoint on one split."""

    _target_: str = "crowdsign.evaluation.evaluate.standard_report"
    _partial_: bool = True


@dataclass
class RobustnessReportConfig:
    """Accuracy under every corruption family × severity (ImageNet-C style, deterministic)."""

    _target_: str = "crowdsign.evaluation.evaluate.robustness"
    _partial_: bool = True
    severities: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    families: Any = None  # None: every family in crowdsign.augment.CORRUPTIONS
    max_images: int = 2000  # first N images of the split (0: all)
    seed: int = 0


def register(cs: ConfigStore) -> None:
    cs.store(group="report", name="base_standard", node=StandardReportConfig)
    cs.store(group="report", name="base_robustness", node=RobustnessReportConfig)
    cs.store(group="report", name="base_scaling", node=ScalingReportConfig)
    cs.store(group="report", name="base_crowd_methods", node=CrowdMethodsReportConfig)


@dataclass
class ScalingReportConfig:
    """The scaling study over a sweep dir (``sweep_dir=``): CSV, Markdown, PNG, TensorBoard."""

    _target_: str = "crowdsign.evaluation.scaling.report.scaling_report"
    _partial_: bool = True
    metric: str = "test/accuracy"  # the learning curve's y; error = 1 - metric
    bootstrap: int = 200  # seed resamples for the fits' uncertainty
    fit_min_size: int = 0  # fit learning curves on sizes >= this (skip the small-data region)
    clean_max_noise: float = 0.01  # label noise up to which a curve is the noise tax's reference
    budgets: Any = None  # list of dollars; None: 4 budgets spanning the measured costs
    seed: int = 0  # bootstrap seed
    out_dir: str | None = None  # None: <sweep_dir>/report


@dataclass
class CrowdMethodsReportConfig:
    """Test score per ``robust`` option over a sweep dir (``sweep_dir=``): CSV and Markdown."""

    _target_: str = "crowdsign.evaluation.crowd_methods.crowd_methods_report"
    _partial_: bool = True
    metric: str = "test/accuracy"
    reference: str = "clean"  # the robust option trained on true labels (gap's top)
    baseline: str = "none"  # the majority vote (gap's bottom)
    published: dict[str, float] = field(default_factory=dict)  # method -> published score
    published_note: str = ""  # where the published numbers come from (their backbone)
    out_dir: str | None = None  # None: <sweep_dir>/report
