"""``data=manifest``: CSV/Parquet tables of path,label[,group][,split] (crowdsign.data.manifest)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from crowdsign.data.decode import BadImageError
from crowdsign.data.manifest import load_manifest, read_manifest


def write_images(root: Path, n: int) -> list[str]:
    rng = np.random.default_rng(2)
    (root / "img").mkdir(parents=True)
    paths = []
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, size=(9, 9, 3), dtype=np.uint8)).save(
            root / "img" / f"{i:03d}.png"
        )
        paths.append(f"img/{i:03d}.png")
    return paths


def manifest(tmp_path: Path, n: int = 40, **extra) -> tuple[Path, pd.DataFrame]:
    """``tmp_path/data/m.csv``: every 4th image a stop sign, groups of 4 consecutive rows."""
    root = tmp_path / "data"
    table = pd.DataFrame(
        {
            "path": write_images(root, n),
            "label": ["stop" if i % 4 == 0 else "other" for i in range(n)],
            "group": [f"clip{i // 4}" for i in range(n)],
        }
        | extra
    )
    table.to_csv(root / "m.csv", index=False)
    return root / "m.csv", table


def load(path: Path, cache: Path, **kw):
    kw = {"image_size": 8, "decode_workers": 1} | kw
    return load_manifest(path=str(path), cache_dir=str(cache), **kw)


def test_groups_stay_together_and_labels_map(tmp_path):
    path, table = manifest(tmp_path)
    splits = load(path, tmp_path / "cache", split_fractions=(0.6, 0.2, 0.2))
    parts = [splits[s] for s in ("train", "val", "test")]
    assert splits.class_names == ("not_stop", "stop")
    assert sorted(np.concatenate([p.image_id for p in parts])) == sorted(table["path"])
    clips = [set(p.meta["group"]) for p in parts]
    assert not (clips[0] & clips[1]) and not (clips[0] & clips[2]) and not (clips[1] & clips[2])
    for p in parts:
        assert np.array_equal(p.truth, (p.meta["label"] == "stop").to_numpy().astype(int))
    multi = load(path, tmp_path / "cache", task="multiclass")
    assert multi.class_names == ("other", "stop")


def test_split_column_is_respected(tmp_path):
    n = 40
    split = ["test" if i >= 32 else "" for i in range(n)]
    path, _ = manifest(tmp_path, n, split=split)
    splits = load(path, tmp_path / "cache", split_fractions=(0.8, 0.2, 0.0))
    assert sorted(splits.test.image_id) == [f"img/{i:03d}.png" for i in range(32, 40)]
    assert len(splits.train) + len(splits.val) == 32 and len(splits.val) > 0


def test_bad_rows_name_the_manifest_line(tmp_path):
    path, table = manifest(tmp_path, 8)
    cache = tmp_path / "cache"
    (path.parent / table["path"][3]).unlink()  # data row 3 → line 5 (header is line 1)
    with pytest.raises(BadImageError, match=r"m\.csv line 5: .*003\.png: file not found"):
        load(path, cache)
    splits = load(path, cache, on_bad_image="skip")
    assert splits.summary.kept == 7 and "m.csv line 5" in splits.summary.skipped[0][0]

    bad = table.copy()
    bad.loc[2, "label"] = ""
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"m\.csv line 4: empty 'label'"):
        load(path, cache)
    bad = table.assign(split=["train"] * 7 + ["holdout"])
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"m\.csv line 9: split='holdout'"):
        load(path, cache)
    bad = table.copy()
    bad.loc[5, "path"] = "./" + table["path"][1]
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"line 3 and .*line 7: the same image"):
        load(path, cache)
    table.drop(columns="label").to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['label'\]"):
        load(path, cache)


def test_parquet_manifest_and_unknown_format(tmp_path):
    pytest.importorskip("pyarrow")
    path, table = manifest(tmp_path, 12)
    table["label"] = [14 if i % 4 == 0 else 3 for i in range(12)]  # integer labels
    table.to_parquet(path.with_suffix(".parquet"))
    splits = load(path.with_suffix(".parquet"), tmp_path / "cache", stop_classes=[14])
    assert sum(int(splits[s].truth.sum()) for s in ("train", "val", "test")) == 3
    path.with_suffix(".xlsx").write_text("")
    with pytest.raises(ValueError, match="unsupported format '.xlsx'"):
        read_manifest(path.with_suffix(".xlsx"))


def test_relative_paths_resolve_against_root(tmp_path):
    path, table = manifest(tmp_path, 8)
    moved = tmp_path / "elsewhere.csv"
    table.to_csv(moved, index=False)
    splits = load(moved, tmp_path / "cache", root=str(path.parent), split_fractions=(1, 0, 0))
    assert sorted(splits.train.image_id) == sorted(table["path"])
