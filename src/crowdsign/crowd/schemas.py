"""Config schemas of the ``crowd`` and ``aggregate`` groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from crowdsign.checks import checked
from crowdsign.crowd.cost import CostModel
from crowdsign.crowd.io.common import ON_ERROR
from crowdsign.crowd.io.resolve import REF_RULES


# --- crowd ------------------------------------------------------------------------------------
# Every crowd config is a ``_partial_`` callable the pipeline calls with the train ImageSet;
# ``_convert_: object`` hands ``cost`` over as a CostModel and ``vocabulary`` as a plain dict.
@dataclass
class SimulatedCrowdConfig:
    """A simulated worker pool labeling every training image k times (``simulate_crowd``).

    Type shares are relative; each type's accuracy range, error model and pace are in
    ``crowdsign.crowd.pools.WORKER_TYPES``. ``noise``, when set, is the share of workers that
    are not reliable/average (the sweep knob).
    """

    _target_: str = "crowdsign.crowd.simulate.simulate_crowd"
    _partial_: bool = True
    _convert_: str = "object"
    labels_per_image: int = checked(3, ge=1)
    n_workers: int = checked(100, ge=1)
    reliable: float = checked(0.5, ge=0)
    average: float = checked(0.35, ge=0)
    sloppy: float = checked(0.0, ge=0)
    spammer: float = checked(0.15, ge=0)  # answers uniformly at random
    spammer_constant: float = checked(0.0, ge=0)  # always the same answer
    adversarial: float = checked(0.0, ge=0)  # systematically answers the likeliest wrong class
    noise: float | None = checked(None, ge=0, le=1)
    # at difficulty 1, the chance a worker cannot make the sign out
    difficulty_effect: float = checked(0.5, ge=0, le=1)
    activity_exponent: float = 0.8  # Zipf exponent of worker activity
    across: float = 0.1  # mistake weight for another colour family (same family: 1)
    seed: int = "${seed}"  # type: ignore[assignment]
    cost: CostModel = field(default_factory=lambda: CostModel(reward=0.01))
    gold: str | None = None  # a task,label table of known answers, given to the aggregator


@dataclass
class RealisticCrowdConfig(SimulatedCrowdConfig):
    """The realistic pool: every worker type, a quarter of the workers bad (``noise``)."""

    reliable: float = checked(0.45, ge=0)
    average: float = checked(0.30, ge=0)
    sloppy: float = checked(0.10, ge=0)
    spammer: float = checked(0.05, ge=0)
    spammer_constant: float = checked(0.02, ge=0)
    adversarial: float = checked(0.08, ge=0)
    noise: float | None = checked(0.25, ge=0, le=1)


@dataclass
class UniformCrowdConfig:
    """Symmetric noise: each answer wrong with probability ``noise``, uniformly."""

    _target_: str = "crowdsign.crowd.simulate.simulate_uniform"
    _partial_: bool = True
    _convert_: str = "object"
    noise: float = checked(0.2, ge=0, le=1)
    labels_per_image: int = checked(3, ge=1)
    n_workers: int = checked(100, ge=1)
    difficulty_effect: float = checked(0.0, ge=0, le=1)
    seed: int = "${seed}"  # type: ignore[assignment]
    cost: CostModel = field(default_factory=lambda: CostModel(reward=0.01))
    gold: str | None = None  # a task,label table of known answers, given to the aggregator


@dataclass
class PairflipCrowdConfig(UniformCrowdConfig):
    """Class-dependent noise: with probability ``noise`` a class's likeliest mistake."""

    _target_: str = "crowdsign.crowd.simulate.simulate_pairflip"
    across: float = 0.1


@dataclass
class ClassCondCrowdConfig(UniformCrowdConfig):
    """Class-conditional noise (``simulate_classcond``): a stop sign missed with probability
    ``noise``, other classes mistaken ``others`` times as often; or one ``confusion`` matrix."""

    _target_: str = "crowdsign.crowd.simulate.simulate_classcond"
    noise: float = 0.3
    others: float = 0.1
    confusion: Any = None  # C x C list (row = true class, column = answer); overrides noise
    across: float = 0.1


@dataclass
class CleanCrowdConfig:
    """Every answer right (``noise`` stays 0; it is there so sweeps can name it)."""

    _target_: str = "crowdsign.crowd.simulate.simulate_clean"
    _partial_: bool = True
    _convert_: str = "object"
    noise: float = 0.0
    labels_per_image: int = checked(3, ge=1)
    n_workers: int = checked(100, ge=1)
    seed: int = "${seed}"  # type: ignore[assignment]
    cost: CostModel = field(default_factory=lambda: CostModel(reward=0.01))
    gold: str | None = None  # a task,label table of known answers, given to the aggregator


@dataclass
class NoCrowdConfig:
    """Train on the source's own labels (no crowd)."""

    _target_: str = "crowdsign.crowd.simulate.source_labels"
    _partial_: bool = True


@dataclass
class ExportCrowdConfig:
    """Options every crowd-export reader takes (``crowdsign.crowd.io.ReadOptions``)."""

    _target_: str = MISSING
    _partial_: bool = True
    _convert_: str = "object"
    path: str = MISSING  # the export file
    image_root: str | None = None  # references must resolve inside it
    # path | basename | strip_prefix: how a reference becomes an image id
    refs: str = checked("basename", choices=REF_RULES)
    prefix: str = ""  # removed by refs=strip_prefix (a URL or path prefix)
    vocabulary: dict[str, Any] = field(default_factory=dict)  # class → label strings
    # error | skip (drop, count and list bad rows)
    on_error: str = checked("error", choices=ON_ERROR)
    encoding: str | None = None  # None: BOM, else UTF-8
    check_files: bool = True  # with image_root: refuse references to missing files
    cost: CostModel = field(default_factory=CostModel)
    # known answers for the aggregator: a task,label table; an export's own gold column
    # (Toloka GOLDEN:<output field>) is read too
    gold: str | None = None


@dataclass
class MTurkCrowdConfig(ExportCrowdConfig):
    _target_: str = "crowdsign.crowd.io.mturk.read_mturk"
    input_field: str | None = None  # Input.<field>; None: the only one
    answer_field: str | None = None  # Answer.<field>; None: the only one


@dataclass
class TolokaCrowdConfig(ExportCrowdConfig):
    _target_: str = "crowdsign.crowd.io.toloka.read_toloka"
    input_field: str | None = "image"  # INPUT:<field>
    output_field: str | None = "result"  # OUTPUT:<field>


@dataclass
class LabelStudioCrowdConfig(ExportCrowdConfig):
    _target_: str = "crowdsign.crowd.io.labelstudio.read_labelstudio"
    image_field: str = "image"  # key of task.data with the image reference
    from_name: str | None = None  # the <Choices> control; None: any


@dataclass
class LongCrowdConfig(ExportCrowdConfig):
    _target_: str = "crowdsign.crowd.io.long.read_long"
    refs: str = checked("path", choices=REF_RULES)
    sep: str | None = None  # None: from the extension (.csv, .tsv, .parquet)


@dataclass
class MatrixCrowdConfig(ExportCrowdConfig):
    """A dense answer matrix: rows = images of ``file_list``, columns = workers."""

    _target_: str = "crowdsign.crowd.io.matrix.read_matrix"
    file_list: str = MISSING  # one image reference per line, in the matrix's row order
    missing: str = "-1"  # marker of a cell with no answer
    classes: list[str] = field(default_factory=list)  # class name per index; []: the data's
    sep: str | None = None  # None: any whitespace
    refs: str = "basename"


# --- aggregate --------------------------------------------------------------------------------
@dataclass
class AggregateConfig:
    """How crowd answers are aggregated (``robust.target``: hard labels or the posterior)."""

    estimator: Any = field(
        default_factory=lambda: {"_target_": "crowdsign.crowd.aggregate.MajorityVote", "seed": 0}
    )
    # drop the answers of workers the aggregator's worker report flags (spammer-like,
    # adversarial) and aggregate again; crowd/targets.json lists them
    exclude_flagged: bool = False


def register(cs: ConfigStore) -> None:
    crowd = {
        "base_simulated": SimulatedCrowdConfig,
        "base_realistic": RealisticCrowdConfig,
        "base_uniform": UniformCrowdConfig,
        "base_pairflip": PairflipCrowdConfig,
        "base_classcond": ClassCondCrowdConfig,
        "base_clean": CleanCrowdConfig,
        "base_none": NoCrowdConfig,
        "base_mturk": MTurkCrowdConfig,
        "base_toloka": TolokaCrowdConfig,
        "base_labelstudio": LabelStudioCrowdConfig,
        "base_long": LongCrowdConfig,
        "base_matrix": MatrixCrowdConfig,
    }
    for name, node in crowd.items():
        cs.store(group="crowd", name=name, node=node)
    cs.store(group="aggregate", name="base_aggregate", node=AggregateConfig)
