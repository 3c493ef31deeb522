"""Config schemas of the ``data`` group (one per source)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from crowdsign.checks import checked
from crowdsign.data.decode import ON_BAD_IMAGE
from crowdsign.data.tasks import TASKS


# --- data -------------------------------------------------------------------------------------
@dataclass
class SyntheticDataConfig:
    """The embedded synthetic stop-sign world (:func:`crowdsign.data.synthetic.load_synthetic`)."""

    _target_: str = "crowdsign.data.synthetic.load_synthetic"
    # binary (not_stop/stop) | multiclass (every rendered class)
    task: str = checked("${task}", choices=TASKS)
    image_size: int = checked(64, ge=8)
    n_train: int = checked(10_000, ge=1)
    n_val: int = checked(2_000, ge=1)
    n_test: int = checked(2_000, ge=1)
    stop_fraction: float = checked(0.4, ge=0, le=1)  # share of stop signs among rendered images
    # which world is rendered (and so its splits); not a run seed: every `seed` of a sweep
    # trains and is scored on one world (the root `seed` sets subset_seed)
    split_seed: int = 0
    cache_dir: str = "${paths.cache_dir}"
    decode_workers: int = checked(0, ge=0)  # processes rendering the world; 0 = all cores
    train_size: Any = None  # None | int count | float fraction: nested, stratified subset
    subset_seed: int = "${oc.select:seed,0}"  # type: ignore[assignment]  # which subset (the root seed)
    gold_size: int = 0  # val images with truth bought as a gold set (trainer.selection=gold)


# --- real sources (issue 5); common keys first, then the source's own ---------------------------
@dataclass
class GtsrbDataConfig:
    """GTSRB in torchvision's layout (:func:`crowdsign.data.gtsrb.load_gtsrb`)."""

    _target_: str = "crowdsign.data.gtsrb.load_gtsrb"
    # binary (not_stop/stop) | multiclass (43 GTSRB classes)
    task: str = checked("${task}", choices=TASKS)
    image_size: int = checked(32, ge=8)  # cached side; GTSRB files are 35x35
    train_size: Any = None  # None | int count | float fraction: nested, stratified subset
    subset_seed: int = "${oc.select:seed,0}"  # type: ignore[assignment]  # which subset (the root seed)
    gold_size: int = 0  # val images with truth bought as a gold set (trainer.selection=gold)
    # which tracks go to train/val/test; not a run seed: every `seed` of a sweep is scored on
    # one test split (the root `seed` sets subset_seed)
    split_seed: int = 0
    cache_dir: str = "${paths.cache_dir}"
    root: str = MISSING  # holds gtsrb/GTSRB/Training (and optionally Final_Test)
    stop_classes: list[int] = field(default_factory=lambda: [14])
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    on_bad_image: str = checked("raise", choices=ON_BAD_IMAGE)  # raise | skip
    decode_workers: int = checked(0, ge=0)  # decode threads; 0 = all cores
    # share of tracks kept out of every split (split=devtest)
    devtest_fraction: float = checked(0.0, ge=0, lt=1)
    devtest_seed: int = 0  # which tracks: independent of seed, the same for every recipe


@dataclass
class FolderDataConfig:
    """An ImageFolder tree (:func:`crowdsign.data.folder.load_folder`)."""

    _target_: str = "crowdsign.data.folder.load_folder"
    task: str = checked("${task}", choices=TASKS)  # binary | multiclass (the top-level task)
    image_size: int = checked(64, ge=8)
    train_size: Any = None
    subset_seed: int = "${oc.select:seed,0}"  # type: ignore[assignment]
    gold_size: int = 0
    split_seed: int = 0  # which files go to train/val/test (not a run seed)
    cache_dir: str = "${paths.cache_dir}"
    root: str = MISSING  # <root>/<class>/... or <root>/{train,val,test}/<class>/...
    stop_classes: list[str] = field(default_factory=lambda: ["stop"])  # folder names
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    # file | subdir (a first-level subfolder of a class is a group)
    group_by: str = checked("file", choices=("file", "subdir"))
    on_bad_image: str = checked("raise", choices=ON_BAD_IMAGE)
    decode_workers: int = checked(0, ge=0)  # decode threads; 0 = all cores


@dataclass
class CocoDataConfig:
    """Stop-sign and negative crops from COCO (:func:`crowdsign.data.coco.load_coco`)."""

    _target_: str = "crowdsign.data.coco.load_coco"
    task: str = checked("${task}", choices=TASKS)  # multiclass: background + COCO categories
    image_size: int = checked(64, ge=8)
    train_size: Any = None
    subset_seed: int = "${oc.select:seed,0}"  # type: ignore[assignment]
    gold_size: int = 0
    split_seed: int = 0  # which files go to train/val/test (not a run seed)
    cache_dir: str = "${paths.cache_dir}"
    root: str = MISSING
    annotations: str = "annotations/instances_val2017.json"  # relative to root
    images: str = "val2017"  # relative to root
    stop_classes: list[str] = field(default_factory=lambda: ["stop sign"])
    context: float = checked(0.25, ge=0)  # margin per side, fraction of the box's longer side
    min_box_size: float = checked(16, ge=0)  # px; shorter boxes are left out and counted
    others_per_image: int = 2  # other-category negatives per photograph; -1 = all
    background_per_image: int = checked(1, ge=0)  # random background squares per photograph
    crop_seed: int = 0  # which negatives; part of the cache key
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    on_bad_image: str = checked("raise", choices=ON_BAD_IMAGE)
    decode_workers: int = checked(0, ge=0)  # decode threads; 0 = all cores


@dataclass
class ManifestDataConfig:
    """A CSV/Parquet table of ``path,label[,group][,split]`` (:mod:`crowdsign.data.manifest`)."""

    _target_: str = "crowdsign.data.manifest.load_manifest"
    task: str = checked("${task}", choices=TASKS)  # binary | multiclass (the top-level task)
    image_size: int = checked(64, ge=8)
    train_size: Any = None
    subset_seed: int = "${oc.select:seed,0}"  # type: ignore[assignment]
    gold_size: int = 0
    split_seed: int = 0  # which files go to train/val/test (not a run seed)
    cache_dir: str = "${paths.cache_dir}"
    path: str = MISSING  # the manifest file (.csv, .tsv, .parquet)
    root: str | None = None  # base of relative image paths; None = the manifest's folder
    stop_classes: list[str] = field(default_factory=lambda: ["stop"])  # label values
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    on_bad_image: str = checked("raise", choices=ON_BAD_IMAGE)
    decode_workers: int = checked(0, ge=0)  # decode threads; 0 = all cores


def register(cs: ConfigStore) -> None:
    cs.store(group="data", name="base_synthetic", node=SyntheticDataConfig)
    cs.store(group="data", name="base_gtsrb", node=GtsrbDataConfig)
    cs.store(group="data", name="base_folder", node=FolderDataConfig)
    cs.store(group="data", name="base_coco", node=CocoDataConfig)
    cs.store(group="data", name="base_manifest", node=ManifestDataConfig)
