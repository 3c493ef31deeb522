"""Config schemas of the ``data`` group (one per source)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


# --- data -------------------------------------------------------------------------------------
@dataclass
class SyntheticDataConfig:
    """The embedded synthetic stop-sign world (:func:`crowdsign.data.synthetic.load_synthetic`)."""

    _target_: str = "crowdsign.data.synthetic.load_synthetic"
    task: str = "${task}"  # binary (not_stop/stop) | multiclass (every rendered class)
    image_size: int = 64
    n_train: int = 10_000
    n_val: int = 2_000
    n_test: int = 2_000
    stop_fraction: float = 0.4  # share of stop signs among rendered images
    seed: int = 0  # world seed (a different seed renders a different world) and subset seed
    cache_dir: str = "${paths.cache_dir}"
    workers: int = 0  # render processes; 0 = all cores
    train_size: Any = None  # None | int count | float fraction: nested, stratified subset


# --- real sources (issue 5); common keys first, then the source's own ---------------------------
@dataclass
class GtsrbDataConfig:
    """GTSRB in torchvision's layout (:func:`crowdsign.data.gtsrb.load_gtsrb`)."""

    _target_: str = "crowdsign.data.gtsrb.load_gtsrb"
    task: str = "${task}"  # binary (not_stop/stop) | multiclass (43 GTSRB classes)
    image_size: int = 32  # cached side; GTSRB files are 35x35
    train_size: Any = None  # None | int count | float fraction: nested, stratified subset
    seed: int = 0  # split and subset seed
    cache_dir: str = "${paths.cache_dir}"
    root: str = MISSING  # holds gtsrb/GTSRB/Training (and optionally Final_Test)
    stop_classes: list[int] = field(default_factory=lambda: [14])
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    on_bad_image: str = "raise"  # raise | skip
    workers: int = 0  # decode threads; 0 = all cores
    devtest_fraction: float = 0.0  # share of tracks kept out of every split (split=devtest)
    devtest_seed: int = 0  # which tracks: independent of seed, the same for every recipe


@dataclass
class FolderDataConfig:
    """An ImageFolder tree (:func:`crowdsign.data.folder.load_folder`)."""

    _target_: str = "crowdsign.data.folder.load_folder"
    task: str = "${task}"  # binary | multiclass (the top-level task)
    image_size: int = 64
    train_size: Any = None
    seed: int = 0
    cache_dir: str = "${paths.cache_dir}"
    root: str = MISSING  # <root>/<class>/... or <root>/{train,val,test}/<class>/...
    stop_classes: list[str] = field(default_factory=lambda: ["stop"])  # folder names
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    group_by: str = "file"  # file | subdir (first-level subfolder of a class is a group)
    on_bad_image: str = "raise"
    workers: int = 0


@dataclass
class CocoDataConfig:
    """Stop-sign and negative crops from COCO (:func:`crowdsign.data.coco.load_coco`)."""

    _target_: str = "crowdsign.data.coco.load_coco"
    task: str = "${task}"  # multiclass: background + COCO categories
    image_size: int = 64
    train_size: Any = None
    seed: int = 0
    cache_dir: str = "${paths.cache_dir}"
    root: str = MISSING
    annotations: str = "annotations/instances_val2017.json"  # relative to root
    images: str = "val2017"  # relative to root
    stop_classes: list[str] = field(default_factory=lambda: ["stop sign"])
    context: float = 0.25  # margin per side, fraction of the box's longer side
    min_box_size: float = 16  # px; shorter boxes are left out and counted
    others_per_image: int = 2  # other-category negatives per photograph; -1 = all
    background_per_image: int = 1  # random background squares per photograph
    crop_seed: int = 0  # which negatives; part of the cache key
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    on_bad_image: str = "raise"
    workers: int = 0


@dataclass
class ManifestDataConfig:
    """A CSV/Parquet table of ``path,label[,group][,split]`` (:mod:`crowdsign.data.manifest`)."""

    _target_: str = "crowdsign.data.manifest.load_manifest"
    task: str = "${task}"  # binary | multiclass (the top-level task)
    image_size: int = 64
    train_size: Any = None
    seed: int = 0
    cache_dir: str = "${paths.cache_dir}"
    path: str = MISSING  # the manifest file (.csv, .tsv, .parquet)
    root: str | None = None  # base of relative image paths; None = the manifest's folder
    stop_classes: list[str] = field(default_factory=lambda: ["stop"])  # label values
    split_fractions: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    on_bad_image: str = "raise"
    workers: int = 0


def register(cs: ConfigStore) -> None:
    cs.store(group="data", name="base_synthetic", node=SyntheticDataConfig)
    cs.store(group="data", name="base_gtsrb", node=GtsrbDataConfig)
    cs.store(group="data", name="base_folder", node=FolderDataConfig)
    cs.store(group="data", name="base_coco", node=CocoDataConfig)
    cs.store(group="data", name="base_manifest", node=ManifestDataConfig)
