"""``data=gtsrb`` on a tiny GTSRB-like tree the tests write, and (slow) on the real one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdsign.data import gtsrb as gtsrb_module
from crowdsign.data.decode import BadImageError
from crowdsign.data.gtsrb import GTSRB_CLASSES, load_gtsrb

REAL_GTSRB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gtsrb"


def write_gtsrb(
    root: Path,
    classes: tuple[int, ...] = (0, 1, 2, 14),
    tracks: int = 4,
    frames: int = 3,
    test_images: int = 0,
) -> Path:
    """A GTSRB tree in torchvision's layout: 8x8 PPMs whose red channel encodes the class."""
    rng = np.random.default_rng(0)
    base = root / "gtsrb" / "GTSRB"
    for c in classes:
        folder = base / "Training" / f"{c:05d}"
        folder.mkdir(parents=True)
        lines = ["Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId"]
        for t in range(tracks):
            for f in range(frames):
                image = rng.integers(0, 40, size=(8, 8, 3), dtype=np.uint8)
                image[..., 0] = 5 * c
                name = f"{t:05d}_{f:05d}.ppm"
                Image.fromarray(image).save(folder / name)
                lines.append(f"{name};8;8;0;0;7;7;{c}")
        (folder / f"GT-{c:05d}.csv").write_text("\n".join(lines) + "\n")
    if test_images:
        images = base / "Final_Test" / "Images"
        images.mkdir(parents=True)
        lines = ["Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId"]
        for i in range(test_images):
            c = classes[i % len(classes)]
            image = np.full((8, 8, 3), 5 * c, dtype=np.uint8)
            Image.fromarray(image).save(images / f"{i:05d}.ppm")
            lines.append(f"{i:05d}.ppm;8;8;0;0;7;7;{c}")
        (root / "gtsrb" / "GT-final_test.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture
def gtsrb_root(tmp_path: Path) -> Path:
    return write_gtsrb(tmp_path / "gtsrb_root")


def load(root: Path, cache: Path, **kw):
    kw = {"image_size": 8, "decode_workers": 1} | kw
    return load_gtsrb(root=str(root), cache_dir=str(cache), **kw)


def test_binary_maps_class_14_to_stop_and_keeps_tracks_whole(gtsrb_root, tmp_path):
    splits = load(gtsrb_root, tmp_path / "cache", split_fractions=(0.5, 0.25, 0.25))
    assert splits.class_names == ("not_stop", "stop")
    everything = [splits[s] for s in ("train", "val", "test")]
    assert sum(len(s) for s in everything) == 4 * 4 * 3
    for part in everything:
        class_id = part.meta["class_id"].to_numpy()
        assert np.array_equal(part.truth, (class_id == 14).astype(int))
        # the red channel the fixture wrote matches the label: images line up with rows
        assert np.array_equal(part.images[:, 0, 0, 0], 5 * class_id)
    tracks = [set(zip(s.meta["class_id"], s.meta["track"], strict=True)) for s in everything]
    assert (
        not (tracks[0] & tracks[1]) and not (tracks[0] & tracks[2]) and not (tracks[1] & tracks[2])
    )
    groups = [set(s.group) for s in everything]
    assert not (groups[0] & groups[1]) and not (groups[1] & groups[2])
    assert (
        splits.train.image_id[0]
        == "gtsrb/GTSRB/Training/00000/" + Path(splits.train.image_id[0]).name
    )
    assert splits.summary.kept == 48 and splits.summary.skipped == []


def test_multiclass_keeps_the_43_gtsrb_classes(gtsrb_root, tmp_path):
    splits = load(gtsrb_root, tmp_path / "cache", task="multiclass")
    assert splits.class_names == GTSRB_CLASSES and splits.class_names[14] == "stop"
    assert set(np.concatenate([splits[s].truth for s in ("train", "val", "test")])) == {0, 1, 2, 14}


def test_official_test_split_is_used_when_present(tmp_path):
    root = write_gtsrb(tmp_path / "root", test_images=8)
    splits = load(root, tmp_path / "cache")
    assert len(splits.test) == 8
    assert all(i.startswith("gtsrb/GTSRB/Final_Test/Images/") for i in splits.test.image_id)
    assert len(splits.train) + len(splits.val) == 48
    assert set(splits.test.group).isdisjoint(splits.train.group)


def test_train_size_is_nested_and_stratified(gtsrb_root, tmp_path):
    small = load(gtsrb_root, tmp_path / "cache", train_size=12)
    large = load(gtsrb_root, tmp_path / "cache", train_size=24)
    assert len(small.train) == 12 and len(large.train) == 24
    assert set(small.train.image_id) <= set(large.train.image_id)
    assert np.array_equal(small.val.image_id, large.val.image_id)
    full = load(gtsrb_root, tmp_path / "cache").train
    share = 12 * full.truth.mean()  # stop signs' share of train, scaled to 12 images
    assert np.floor(share) <= small.train.truth.sum() <= np.ceil(share)


def test_second_load_reads_the_cache(gtsrb_root, tmp_path, monkeypatch):
    load(gtsrb_root, tmp_path / "cache")

    def fail(*args, **kwargs):
        raise AssertionError("decoded again despite a cache entry")

    monkeypatch.setattr("crowdsign.data.files.parallel_decode", fail)
    splits = load(gtsrb_root, tmp_path / "cache", split_seed=5, task="multiclass")
    assert isinstance(splits.train.images, np.ndarray) and len(splits.train)
    # a changed file changes the key: decoded again
    path = gtsrb_root / "gtsrb/GTSRB/Training/00001/00000_00000.ppm"
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(path)
    with pytest.raises(AssertionError, match="decoded again"):
        load(gtsrb_root, tmp_path / "cache")


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("zero", "empty file"),
        ("truncate", "truncated PPM"),
        ("missing", "file not found"),  # listed in GT-00002.csv, not on disk
        ("extension", "unsupported extension"),
    ],
)
def test_bad_files_raise_naming_the_file_or_are_skipped(gtsrb_root, tmp_path, damage, reason):
    folder = gtsrb_root / "gtsrb/GTSRB/Training/00002"
    bad = folder / "00001_00001.ppm"
    if damage == "zero":
        bad.write_bytes(b"")
    elif damage == "truncate":
        bad.write_bytes(bad.read_bytes()[:50])
    elif damage == "missing":
        bad.unlink()
    else:
        bad = folder / "readme.txt"
        bad.write_text("a stray file")
    with pytest.raises(BadImageError, match=f"{bad.name}: {reason}"):
        load(gtsrb_root, tmp_path / "cache")
    splits = load(gtsrb_root, tmp_path / "cache", on_bad_image="skip")
    assert [w for w, _ in splits.summary.skipped] == [str(bad)]
    assert reason in splits.summary.skipped[0][1]
    n = 48 - (damage != "extension")
    assert splits.summary.kept == n == sum(len(splits[s]) for s in ("train", "val", "test"))
    # a cache hit reports the same summary
    again = load(gtsrb_root, tmp_path / "cache", on_bad_image="skip")
    assert again.summary.to_dict() == splits.summary.to_dict()


def test_unknown_stop_class_and_missing_root_are_clear(gtsrb_root, tmp_path):
    with pytest.raises(ValueError, match="stop class 43"):
        load(gtsrb_root, tmp_path / "cache", stop_classes=[43])
    with pytest.raises(FileNotFoundError, match="GTSRB not found"):
        load(tmp_path / "nowhere", tmp_path / "cache")
    assert gtsrb_module.STOP_CLASS == 14


@pytest.mark.slow
@pytest.mark.skipif(not REAL_GTSRB.is_dir(), reason="real GTSRB not at ../shared/data/gtsrb")
def test_real_gtsrb_loads_with_tracks_held_out(tmp_path):
    splits = load_gtsrb(root=str(REAL_GTSRB), cache_dir=str(tmp_path), image_size=32)
    parts = [splits[s] for s in ("train", "val", "test")]
    assert sum(len(p) for p in parts) == 25_087
    assert sum(int(p.truth.sum()) for p in parts) == 623  # class 14: stop
    assert all(p.truth.sum() > 0 for p in parts)
    tracks = [set(zip(p.meta["class_id"], p.meta["track"], strict=True)) for p in parts]
    assert not (tracks[0] & tracks[1]) and not (tracks[0] & tracks[2])
    assert not (tracks[1] & tracks[2])
    assert 0.75 < len(splits.train) / 25_087 < 0.85


def test_devtest_tracks_are_kept_out_of_every_split_and_fixed_by_their_own_seed(tmp_path):
    root = write_gtsrb(tmp_path / "g", tracks=10, frames=2, test_images=4)
    cache = tmp_path / "cache"
    kw = {"task": "multiclass", "split_fractions": (0.6, 0.2, 0.2), "devtest_fraction": 0.2}
    a = load(root, cache, split_seed=0, **kw)
    b = load(root, cache, split_seed=1, **kw)  # another split seed: the same dev-test tracks
    assert a.devtest is not None and a["devtest"] is a.devtest
    assert a.devtest.class_names == a.class_names
    # 2 of each class's 10 tracks, never an official test image
    per_class = a.devtest.meta.groupby("class_id")["track"].nunique()
    assert per_class.to_dict() == {0: 2, 1: 2, 2: 2, 14: 2}
    assert (a.devtest.meta["track"] >= 0).all()
    assert np.array_equal(np.sort(a.devtest.image_id), np.sort(b.devtest.image_id))
    apart = set(a.devtest.image_id)
    for splits in (a, b):
        for name in ("train", "val", "test"):
            assert not apart & set(splits[name].image_id), name
    assert sum(len(a[s]) for s in ("train", "val", "test", "devtest")) == 4 * 10 * 2 + 4
    # the red channel the fixture wrote matches the label: images line up with rows
    assert np.array_equal(a.devtest.images[:, 0, 0, 0], 5 * a.devtest.meta["class_id"])
    assert np.array_equal(a.devtest.truth, a.devtest.meta["class_id"])
    # another dev-test seed keeps other tracks apart
    c = load(root, cache, split_seed=0, devtest_seed=1, **kw)
    assert set(c.devtest.image_id) != apart


def test_no_devtest_by_default_and_asking_for_one_is_clear(gtsrb_root, tmp_path):
    splits = load(gtsrb_root, tmp_path / "cache")
    assert splits.devtest is None
    with pytest.raises(KeyError, match="devtest_fraction"):
        splits["devtest"]
    with pytest.raises(ValueError, match=r"devtest_fraction=1\.0"):
        load(gtsrb_root, tmp_path / "cache", devtest_fraction=1.0)
