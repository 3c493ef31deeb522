"""Config schemas of the labeling loop's groups: ``budget``, ``batch``, ``strategy``, ``acquire``.

``label.py`` composes ``budget``, ``batch`` and ``strategy`` with the existing ``data``, ``crowd``
and ``aggregate`` groups; ``train.py`` takes ``acquire`` (``experiment=adaptive``): buy the train
images' answers from the simulated pool with a strategy before training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hydra.core.config_store import ConfigStore

from crowdsign.checks import checked
from crowdsign.crowd.active.upload import PLATFORMS


@dataclass
class BudgetConfig:
    """What may be spent.

    ``dollars``: ``mode=next``: the project's total budget, answers so far included.
    ``answers_per_task``: ``mode=replay``: the largest budget, in answers per image; the grid
    runs ``1, 1 + grid_step, …, answers_per_task``.
    """

    dollars: float | None = None
    answers_per_task: float = 3.0
    grid_step: float = 0.25


@dataclass
class BatchConfig:
    """The next batch: ``size`` answers at most, and where its upload file goes.

    ``platform``: ``auto`` (the crowd source's platform; every format for a plain table) |
    ``mturk`` | ``toloka`` | ``labelstudio`` | ``all``. An image's URL is ``url_prefix`` + its id.
    """

    size: int = 100
    platform: str = checked("auto", choices=("auto", "all", *PLATFORMS))
    url_prefix: str = ""


@dataclass
class AdaptiveStrategyConfig:
    """:class:`crowdsign.crowd.active.AdaptiveStrategy` (selective repeated labeling)."""

    _target_: str = "crowdsign.crowd.active.AdaptiveStrategy"
    settle: float = 0.95  # an image stops once its posterior reaches this
    prior_accuracy: float = 0.8  # a worker's accuracy before their answers can be compared
    prior_strength: float = 2.0  # pseudo-answers of that prior
    max_per_task: int = 7
    block_flagged: bool = True  # flagged spammers / adversarial workers get no work
    pooled_prior: bool = False  # empirical Bayes: the prior is the pool's mean accuracy
    explore: float = 0.0  # share of images given early repeat answers (calibration overlap)
    explore_answers: int = 2  # answers each of those images gets during the first pass
    route: str = "thompson"  # from whom: thompson | greedy | random (whoever comes first)
    score: str = "information"  # value of one more answer: information | error (reduction)


@dataclass
class UniformStrategyConfig:
    """:class:`crowdsign.crowd.active.UniformStrategy` (the same k for every image)."""

    _target_: str = "crowdsign.crowd.active.UniformStrategy"
    max_per_task: int = 7
    block_flagged: bool = False  # the platform's fixed overlap takes every worker's answer


@dataclass
class AcquireConfig:
    """Buy the train images' answers with a strategy before training (``experiment=adaptive``).

    The crowd source (a simulated pool with ``labels_per_image`` answers per image) is the
    market; ``answers_per_task`` (the budget) of them are bought in ``rounds`` rounds. With
    ``model_in_loop`` a model trained on the labels so far (``folds``-fold cross-fitted, so each
    image is scored by a model that did not see its labels) joins the posterior between rounds.
    """

    strategy: Any = None  # a strategy node (configs/strategy/)
    answers_per_task: float = 2.0
    rounds: int = 3
    batch_fraction: float = 0.05  # answers per batch, as a share of the images
    model_in_loop: bool = True
    folds: int = 2
    epochs: int = 6  # epochs of each in-loop model
    seed: int = "${seed}"  # type: ignore[assignment]


def register(cs: ConfigStore) -> None:
    cs.store(group="budget", name="base_budget", node=BudgetConfig)
    cs.store(group="batch", name="base_batch", node=BatchConfig)
    cs.store(group="strategy", name="base_adaptive", node=AdaptiveStrategyConfig)
    cs.store(group="strategy", name="base_uniform", node=UniformStrategyConfig)
    cs.store(group="acquire", name="base_acquire", node=AcquireConfig)
