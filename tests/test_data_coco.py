"""``data=coco``: stop-sign and negative crops from a COCO JSON the tests write."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdsign.data.coco import load_coco
from crowdsign.data.decode import BadImageError

STOP, CAR = 13, 3
RED, BLUE = (220, 20, 20), (20, 20, 220)


def write_coco(root: Path, photos: int = 8) -> Path:
    """Photos 96x80 (grey): even ones hold a red 24px stop sign at (8, 8) and a tiny 6px one;
    every one holds a blue 20px car at (60, 50)."""
    (root / "images").mkdir(parents=True)
    images, anns = [], []

    def box(image_id: int, cat: int, xywh: list[int], colour) -> None:
        x, y, w, h = xywh
        pixels[y : y + h, x : x + w] = colour
        anns.append({"id": len(anns) + 1, "image_id": image_id, "category_id": cat,
                     "bbox": xywh, "area": w * h, "iscrowd": 0})  # fmt: skip

    for i in range(photos):
        pixels = np.full((80, 96, 3), 128, dtype=np.uint8)
        if i % 2 == 0:
            box(i, STOP, [8, 8, 24, 24], RED)
            box(i, STOP, [80, 4, 6, 6], RED)
        box(i, CAR, [60, 50, 20, 20], BLUE)
        Image.fromarray(pixels).save(root / "images" / f"p{i}.png")
        images.append({"id": i, "file_name": f"p{i}.png", "width": 96, "height": 80})
    data = {
        "images": images,
        "annotations": anns,
        "categories": [{"id": CAR, "name": "car"}, {"id": STOP, "name": "stop sign"}],
    }
    (root / "ann.json").write_text(json.dumps(data))
    return root


def load(root: Path, cache: Path, **kw):
    kw = {"image_size": 16, "decode_workers": 1, "annotations": "ann.json", "images": "images"} | kw
    return load_coco(root=str(root), cache_dir=str(cache), **kw)


def everything(splits):
    return [splits[s] for s in ("train", "val", "test")]


def test_crops_positives_negatives_and_counts_tiny_boxes(tmp_path):
    root = write_coco(tmp_path / "coco")
    splits = load(root, tmp_path / "cache", context=0.0, split_fractions=(0.5, 0.25, 0.25))
    assert splits.class_names == ("not_stop", "stop")
    kinds = {"stop": 0, "other": 0, "background": 0}
    for part in everything(splits):
        for img, kind, label, iid in zip(
            part.images, part.meta["kind"], part.truth, part.image_id, strict=True
        ):
            kinds[kind] += 1
            assert label == (kind == "stop")
            mean = img.reshape(-1, 3).mean(axis=0)
            if kind == "stop":
                assert mean[0] > 200 and mean[2] < 40, iid  # context=0: all sign
                assert iid.startswith("images/p") and "#ann" in iid
            elif kind == "other":
                assert mean[2] > 200
            else:
                assert "#bg0" in iid and mean[0] < 150  # not on the stop sign
    assert kinds == {"stop": 4, "other": 8, "background": 8}
    assert splits.summary.dropped["stop box below min_box_size"] == 4
    # crops of one photograph never straddle splits
    photos = [set(p.meta["image"]) for p in everything(splits)]
    assert not (photos[0] & photos[1]) and not (photos[0] & photos[2])
    assert not (photos[1] & photos[2])


def test_context_margin_widens_the_crop(tmp_path):
    root = write_coco(tmp_path / "coco", photos=2)
    splits = load(root, tmp_path / "cache", context=0.5, split_fractions=(1, 0, 0))
    stop = splits.train.meta["kind"] == "stop"
    assert (splits.train.meta.loc[stop, "side"] == 48).all()  # 24 * (1 + 2 * 0.5)
    crop = splits.train.images[np.flatnonzero(stop)[0]]
    assert crop[8, 8, 0] > 200 and crop[0, 0, 0] < 30  # sign in the middle, black padding


def test_multiclass_and_limits(tmp_path):
    root = write_coco(tmp_path / "coco", photos=4)
    splits = load(
        root, tmp_path / "cache", task="multiclass", others_per_image=0, background_per_image=2
    )
    assert splits.class_names == ("background", "car", "stop sign")
    labels = np.concatenate([p.truth for p in everything(splits)])
    assert np.bincount(labels, minlength=3).tolist() == [8, 0, 2]
    assert splits.summary.dropped["other box beyond others_per_image"] == 4


def test_missing_photo_raises_or_is_skipped(tmp_path):
    root = write_coco(tmp_path / "coco", photos=4)
    (root / "images" / "p2.png").unlink()
    with pytest.raises(BadImageError, match=r"p2\.png: file not found"):
        load(root, tmp_path / "cache")
    splits = load(root, tmp_path / "cache", on_bad_image="skip")
    assert [Path(w).name for w, _ in splits.summary.skipped] == ["p2.png"]
    ids = np.concatenate([p.image_id for p in everything(splits)])
    assert not any("p2.png" in i for i in ids)
    assert len(ids) == 3 + 2 + 2  # p0: stop, car, background; p1, p3: car, background


def test_annotation_errors_are_clear(tmp_path):
    root = write_coco(tmp_path / "coco", photos=2)
    with pytest.raises(ValueError, match=r"stop classes \['stop'\] are not categories"):
        load(root, tmp_path / "cache", stop_classes=["stop"])
    data = json.loads((root / "ann.json").read_text())
    data["images"][1]["width"] = 50
    (root / "ann.json").write_text(json.dumps(data))
    with pytest.raises(BadImageError, match=r"p1\.png: is 96x80 but ann\.json says 50x80"):
        load(root, tmp_path / "cache")
    del data["categories"]
    (root / "ann.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="field 'categories' is missing"):
        load(root, tmp_path / "cache")
