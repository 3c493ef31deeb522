"""Config schemas of the ``trainer`` group and the run ``paths``."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hydra.core.config_store import ConfigStore

from crowdsign.checks import checked

PRECISIONS = ("auto", "bf16", "fp32")
TARGETS = ("hard", "soft")
BALANCE = ("none", "weights", "sampler")


class Selection(Enum):
    """What picks the best epoch (:mod:`crowdsign.training.selection`)."""

    crowd = "crowd"  # the crowd's aggregated answers on validation images: no truth
    gold = "gold"  # data.gold_size validation images with truth, counted and priced
    truth = "truth"  # validation truth: an oracle, for studies only


# --- trainer ----------------------------------------------------------------------------------
@dataclass
class TrainerConfig:
    """Loop settings; ``checked`` fields are validated when a command starts."""

    epochs: int = checked(10, ge=1)
    batch_size: int = checked(128, ge=1)
    eval_batch_size: int = checked(512, ge=1)
    loader_workers: int = checked(0, ge=0)  # DataLoader workers; 0 loads in the main process
    # true: the decoded uint8 train images live on the device and each batch is augmented
    # there (crowdsign.augment.device); no loader workers. false: NumPy/cv2 loader (default)
    data_on_device: bool = False
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    # auto (bf16 on CUDA, fp32 on CPU) | bf16 | fp32
    precision: str = checked("auto", choices=PRECISIONS)
    channels_last: bool = True  # on CUDA only
    compile: bool = True  # torch.compile on CUDA; CPU runs stay eager
    # none | weights (class-weighted loss) | sampler (class-balanced draws)
    balance: str = checked("none", choices=BALANCE)
    grad_clip: float = checked(0.0, ge=0)  # max grad norm; 0 disables
    # > 0: mixup batches, lam ~ Beta(alpha, alpha) (crowdsign.training.loop.mixup_loss)
    mixup_alpha: float = checked(0.0, ge=0)
    # > 0: select, calibrate, test and ship an EMA of the weights (crowdsign.training.ema)
    ema_decay: float = checked(0.0, ge=0, lt=1)
    # stop after this many optimizer steps (0 = no limit); for smoke runs
    max_steps: int = checked(0, ge=0)
    # score val on a fixed class-stratified subset of this many eval batches
    # (data.splits.validation_set) to pick the best epoch; 0 = all of val
    limit_val_batches: int = checked(0, ge=0)
    # what picks the best epoch: crowd (the crowd's answers on val, no truth) | gold
    # (data.gold_size val images with truth, priced) | truth (an oracle, for studies only)
    selection: Selection = Selection.crowd
    # stop recall the stored decision threshold must reach on the selection set (0: argmax)
    target_recall: float = checked(0.99, ge=0, le=1)
    log_every: int = checked(50, ge=1)  # steps between TensorBoard scalars
    threads: int = checked(0, ge=0)  # torch intra-op threads on CPU; 0 = torch's default
    progress: bool = True  # tqdm bars, shown only when stderr is a terminal
    # model seed: initialisation, augmentation and batch order (subset: data.subset_seed,
    # answers: crowd.seed); all three follow the top-level `seed` unless set
    seed: int = "${oc.select:seed,0}"  # type: ignore[assignment]
    # batch_size and epochs per train size, keyed n<data.train_size> (n4096: {batch_size: 32,
    # epochs: 6}); a sweep preset points batch_size/epochs at it (experiment=scaling)
    schedule: dict[str, Any] = field(default_factory=dict)


# --- robust -----------------------------------------------------------------------------------
@dataclass
class RobustConfig:
    """How the crowd's answers become the training signal (the ``robust`` group): the target
    kind, the loss, and optionally a per-worker confusion loss or consensus targets.

    With no ``robust=`` option the node holds these defaults (hard targets, cross-entropy);
    each option of ``configs/robust/`` is a recipe that also picks its aggregator.
    """

    # hard: the aggregate's argmax label; soft: cross-entropy against its posterior
    target: str = checked("hard", choices=TARGETS)
    label_smoothing: float = checked(0.0, ge=0, lt=1)
    # > 0: generalized cross-entropy, robust to label noise (0.7 is typical)
    gce_q: float = checked(0.0, ge=0, le=1)
    # train on the source's own (true) labels instead of the crowd's answers: the upper bound
    # of a crowd benchmark (robust=clean), whatever crowd is configured
    true_labels: bool = False
    # a per-worker confusion loss on the raw answers (_target_ + _partial_; robust=crowd_layer)
    crowd_loss: Any = None
    consensus: Any = None  # cross-fitted consensus targets (robust=consensus)


@dataclass
class PathsConfig:
    cache_dir: str = "${oc.env:CROWDSIGN_CACHE,${hydra:runtime.cwd}/data/cache}"
    output_dir: str = "${hydra:runtime.output_dir}"


def register(cs: ConfigStore) -> None:
    cs.store(group="trainer", name="base_trainer", node=TrainerConfig)
    cs.store(group="robust", name="base_robust", node=RobustConfig)
