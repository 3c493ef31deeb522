"""Config schemas of the ``trainer`` group and the run ``paths``."""

from __future__ import annotations

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore


# --- trainer ----------------------------------------------------------------------------------
@dataclass
class TrainerConfig:
    epochs: int = 10
    batch_size: int = 128
    eval_batch_size: int = 512
    num_workers: int = 0  # DataLoader workers; 0 loads in the main process
    # true: the decoded uint8 train images live on the device and each batch is augmented
    # there (crowdsign.augment.device); no loader workers. false: NumPy/cv2 loader (default)
    data_on_device: bool = False
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "auto"  # auto (bf16 on CUDA, fp32 on CPU) | bf16 | fp32
    channels_last: bool = True  # on CUDA only
    compile: bool = True  # torch.compile on CUDA; CPU runs stay eager
    label_smoothing: float = 0.0
    gce_q: float = 0.0  # > 0: generalized cross-entropy, robust to label noise (0.7 is typical)
    balance: str = "none"  # none | weights (class-weighted loss) | sampler (class-balanced draws)
    grad_clip: float = 0.0  # max grad norm; 0 disables
    max_steps: int = 0  # stop after this many optimizer steps (0 = no limit); for smoke runs
    limit_val_batches: int = 0  # score val on a fixed class-stratified subset of this many
    # eval batches (data.splits.validation_set) to pick the best epoch; 0 = all of val
    log_every: int = 50  # steps between TensorBoard scalars
    threads: int = 0  # torch intra-op threads on CPU; 0 = torch's default
    progress: bool = True  # tqdm bars


@dataclass
class PathsConfig:
    cache_dir: str = "${oc.env:CROWDSIGN_CACHE,${hydra:runtime.cwd}/data/cache}"
    output_dir: str = "${hydra:runtime.output_dir}"


def register(cs: ConfigStore) -> None:
    cs.store(group="trainer", name="base_trainer", node=TrainerConfig)
