"""``data=folder``: ImageFolder trees the tests write (crowdsign.data.folder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdsign.data.decode import BadImageError
from crowdsign.data.folder import load_folder

EXTS = (".png", ".jpg", ".ppm", ".webp")


def write_tree(root: Path, classes: dict[str, int], subdirs: int = 0) -> Path:
    """``root/<class>/[clip_k/]i<ext>``: 12x10 images, extensions rotating over EXTS."""
    rng = np.random.default_rng(1)
    for c, (name, n) in enumerate(classes.items()):
        for i in range(n):
            folder = root / name / (f"clip_{i % subdirs}" if subdirs else "")
            folder.mkdir(parents=True, exist_ok=True)
            image = rng.integers(100, 116, size=(10, 12, 3), dtype=np.uint8)
            image[..., 1] = 60 * c  # green encodes the class
            Image.fromarray(image).save(folder / f"{i:03d}{EXTS[i % len(EXTS)]}", quality=100)
    return root


def load(root: Path, cache: Path, **kw):
    kw = {"image_size": 6, "decode_workers": 1} | kw
    return load_folder(root=str(root), cache_dir=str(cache), **kw)


def test_binary_and_multiclass_over_mixed_formats(tmp_path):
    root = write_tree(tmp_path / "tree", {"stop": 12, "yield": 12, "speed_30": 16})
    binary = load(root, tmp_path / "cache")
    parts = [binary[s] for s in ("train", "val", "test")]
    assert binary.class_names == ("not_stop", "stop")
    assert sum(len(p) for p in parts) == 40 and all(p.truth.sum() > 0 for p in parts)
    for p in parts:
        assert all(
            (i.startswith("stop/") and t == 1) or (not i.startswith("stop/") and t == 0)
            for i, t in zip(p.image_id, p.truth, strict=True)
        )
    multi = load(root, tmp_path / "cache", task="multiclass")
    assert multi.class_names == ("speed_30", "stop", "yield")
    green = {"speed_30": 120, "stop": 0, "yield": 60}  # written in insertion order
    for i, img in zip(multi.train.image_id, multi.train.images, strict=True):
        assert abs(int(img[..., 1].mean()) - green[i.split("/")[0]]) <= 3


def test_predefined_split_folders_and_carved_val(tmp_path):
    write_tree(tmp_path / "tree" / "train", {"stop": 10, "other": 10})
    write_tree(tmp_path / "tree" / "test", {"stop": 3, "other": 4})
    splits = load(tmp_path / "tree", tmp_path / "cache", split_fractions=(0.7, 0.3, 0.0))
    assert len(splits.test) == 7
    assert all(i.startswith("test/") for i in splits.test.image_id)
    assert len(splits.train) + len(splits.val) == 20 and len(splits.val) > 0
    assert all(i.startswith("train/") for i in splits.val.image_id)


def test_group_by_subdir_keeps_clips_together(tmp_path):
    root = write_tree(tmp_path / "tree", {"stop": 30, "other": 30}, subdirs=5)
    splits = load(root, tmp_path / "cache", group_by="subdir", split_seed=3)
    clips = [{i.rsplit("/", 1)[0] for i in splits[s].image_id} for s in ("train", "val", "test")]
    assert not (clips[0] & clips[1]) and not (clips[0] & clips[2]) and not (clips[1] & clips[2])
    assert len(set(splits.train.group)) == len(clips[0])


def test_stray_file_raises_or_is_skipped(tmp_path):
    root = write_tree(tmp_path / "tree", {"stop": 6, "other": 6})
    (root / "other" / "labels.txt").write_text("x")
    (root / "other" / ".DS_Store").write_text("hidden files are ignored")
    (root / "README.md").write_text("files outside class folders are ignored")
    with pytest.raises(BadImageError, match=r"labels\.txt: unsupported extension"):
        load(root, tmp_path / "cache")
    splits = load(root, tmp_path / "cache", on_bad_image="skip")
    assert splits.summary.kept == 12 and len(splits.summary.skipped) == 1


def test_binary_without_a_stop_folder_is_an_error(tmp_path):
    root = write_tree(tmp_path / "tree", {"cat": 4, "dog": 4})
    with pytest.raises(ValueError, match="stop class 'stop' is not one of its classes"):
        load(root, tmp_path / "cache")
    assert len(load(root, tmp_path / "cache", stop_classes=["dog"]).class_names) == 2
