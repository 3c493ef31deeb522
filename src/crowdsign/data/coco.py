"""``data=coco``: square crops from a COCO instances JSON and its image folder.

- Positives: each box of a stop class (default the category ``"stop sign"``).
- Negatives: boxes of other categories (at most ``others_per_image`` per photograph, drawn by
  ``crop_seed``) and ``background_per_image`` random squares per photograph.
- Every crop is a square around its box, ``1 + 2 * context`` times the box's longer side (black
  outside the photograph), resized to ``image_size``. Negatives never overlap a stop-sign box;
  background squares also overlap no other box by IoU >= 0.5.
- Boxes whose shorter side is below ``min_box_size`` px and ``iscrowd`` boxes are left out and
  counted in the load summary, by reason.
- Groups are photographs: all crops of one photograph stay in one split.
- ``image_id`` is ``<image path relative to root>#ann<annotation id>`` or ``...#bg<k>``.
- ``task=multiclass`` classes: ``background`` then the JSON's categories in id order.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crowdsign.data.assemble import build_splits
from crowdsign.data.cache import cached_arrays, file_fingerprint
from crowdsign.data.decode import (
    BadImageError,
    check_extension,
    check_on_bad_image,
    parallel_decode,
    read_image,
    resize,
)
from crowdsign.data.imageset import Splits
from crowdsign.data.summary import LoadSummary
from crowdsign.errors import InputError, MissingInputError

BACKGROUND = "background"
_BG_TRIES = 20


def read_coco(path: Path) -> dict:
    """The parsed JSON, checked for the ``images``, ``annotations`` and ``categories`` lists."""
    try:
        with open(path) as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise MissingInputError(f"COCO annotations {path} not found") from None
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    for field in ("images", "annotations", "categories"):
        if not isinstance(data.get(field), list):
            raise InputError(f"{path}: field {field!r} is missing or not a list")
    return data


def _square(box: Sequence[float], context: float) -> tuple[int, int, int]:
    """``(x0, y0, side)`` of the square around COCO box ``(x, y, w, h)`` with its margin."""
    x, y, w, h = box
    side = max(1, round(max(w, h) * (1 + 2 * context)))
    return round(x + w / 2 - side / 2), round(y + h / 2 - side / 2), side


def _overlaps(a: Sequence[float], boxes: np.ndarray) -> np.ndarray:
    """Intersection area of square/box ``a`` (x, y, w, h) with each of ``boxes`` (K, 4)."""
    if not len(boxes):
        return np.zeros(0)
    ix = np.minimum(a[0] + a[2], boxes[:, 0] + boxes[:, 2]) - np.maximum(a[0], boxes[:, 0])
    iy = np.minimum(a[1] + a[3], boxes[:, 1] + boxes[:, 3]) - np.maximum(a[1], boxes[:, 1])
    return np.clip(ix, 0, None) * np.clip(iy, 0, None)


@dataclass(frozen=True)
class CropRules:
    """Which boxes become crops, and how (see the module docstring).

    Attributes:
        context: margin on each side, as a fraction of the box's longer side.
        min_box_size: boxes with a shorter side below this (px) are left out and counted.
        others_per_image: other-category boxes kept per photograph (-1: all).
        background_per_image: random background squares per photograph.
        crop_seed: seeds which other boxes are kept and where background squares fall.
    """

    context: float = 0.25
    min_box_size: float = 16
    others_per_image: int = 2
    background_per_image: int = 1
    crop_seed: int = 0


def _annotations_by_image(data: dict, source: Path) -> dict[int, list[dict]]:
    by_image: dict[int, list[dict]] = {}
    for i, ann in enumerate(data["annotations"]):
        try:
            box = [float(v) for v in ann["bbox"]]
            if len(box) != 4:
                raise ValueError
            by_image.setdefault(int(ann["image_id"]), []).append(
                {"id": int(ann["id"]), "cat": int(ann["category_id"]), "box": box,
                 "crowd": bool(ann.get("iscrowd", 0))}
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"{source}: annotations[{i}] needs id, image_id, category_id and a 4-number bbox"
            ) from None
    return by_image


def _image_crops(
    photo: tuple[int, str, float, float],
    anns: list[dict],
    stop_ids: set[int],
    rules: CropRules,
    dropped: Counter[str],
) -> list[tuple]:
    """The crop rows of one photograph ``(id, file_name, width, height)``."""
    image, name, width, height = photo
    rng = np.random.default_rng([rules.crop_seed, image])
    stop_boxes = np.asarray([a["box"] for a in anns if a["cat"] in stop_ids]).reshape(-1, 4)
    rows, others = [], []
    for a in anns:
        stop, tag = a["cat"] in stop_ids, f"ann{a['id']}"
        kind = "stop" if stop else "other"
        x0, y0, side = _square(a["box"], rules.context)
        if a["crowd"]:
            dropped[f"{kind} box marked iscrowd"] += 1
        elif min(a["box"][2:]) < rules.min_box_size:
            dropped[f"{kind} box below min_box_size"] += 1
        elif not stop and _overlaps((x0, y0, side, side), stop_boxes).any():
            dropped["other box overlapping a stop sign"] += 1
        else:
            (rows if stop else others).append((image, name, a["cat"], tag, x0, y0, side, kind))
    keep = rules.others_per_image
    if keep >= 0 and len(others) > keep:
        dropped["other box beyond others_per_image"] += len(others) - keep
        others = [others[i] for i in sorted(rng.permutation(len(others))[:keep])]
    rows += others
    all_boxes = np.asarray([a["box"] for a in anns]).reshape(-1, 4)
    for k in range(rules.background_per_image):
        square = _background(rng, width, height, rules.min_box_size, stop_boxes, all_boxes)
        if square is None:
            dropped["background square with no room"] += 1
        else:
            rows.append((image, name, -1, f"bg{k}", *square, "background"))
    return rows


def plan_crops(
    data: dict, *, source: Path, stop_ids: set[int], rules: CropRules, dropped: Counter[str]
) -> pd.DataFrame:
    """One row per crop: ``image`` (COCO image id), ``file_name``, ``category_id`` (-1 for
    background), ``tag`` (``ann<id>``/``bg<k>``), ``x0``, ``y0``, ``side``, ``kind``
    (``stop``/``other``/``background``). Left-out boxes are counted in ``dropped``."""
    by_image = _annotations_by_image(data, source)
    rows = []
    for img in data["images"]:
        try:
            photo = (
                int(img["id"]),
                str(img["file_name"]),
                *(float(img[k]) for k in ("width", "height")),
            )
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"{source}: image {img!r} needs id, file_name, width, height"
            ) from None
        rows += _image_crops(photo, by_image.get(photo[0], []), stop_ids, rules, dropped)
    columns = ["image", "file_name", "category_id", "tag", "x0", "y0", "side", "kind"]
    return pd.DataFrame(rows, columns=columns)


def _background(rng, width, height, min_size, stop_boxes, all_boxes) -> tuple[int, int, int] | None:
    short = min(width, height)
    low, high = max(min_size, 0.1 * short), 0.5 * short
    if high < low:
        return None
    for _ in range(_BG_TRIES):
        side = int(rng.uniform(low, high))
        x0, y0 = int(rng.integers(0, width - side + 1)), int(rng.integers(0, height - side + 1))
        sq = (x0, y0, side, side)
        inter = _overlaps(sq, all_boxes)
        iou = inter / (side * side + all_boxes[:, 2] * all_boxes[:, 3] - inter + 1e-9)
        if not _overlaps(sq, stop_boxes).any() and not (iou >= 0.5).any():
            return x0, y0, side
    return None


def _crop(image: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    """``(side, side, 3)`` window of ``image`` at ``(x0, y0)``, black outside it."""
    out = np.zeros((side, side, 3), dtype=np.uint8)
    h, w = image.shape[:2]
    ys, xs = slice(max(y0, 0), min(y0 + side, h)), slice(max(x0, 0), min(x0 + side, w))
    if ys.start < ys.stop and xs.start < xs.stop:
        out[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0] = image[ys, xs]
    return out


def load_coco(
    *,
    task: str = "binary",
    image_size: int = 64,
    train_size: int | float | None = None,
    split_seed: int = 0,
    cache_dir: str = "data/cache",
    root: str,
    annotations: str = "annotations/instances_val2017.json",
    images: str = "val2017",
    stop_classes: Sequence[str] = ("stop sign",),
    context: float = 0.25,
    min_box_size: float = 16,
    others_per_image: int = 2,
    background_per_image: int = 1,
    crop_seed: int = 0,
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    on_bad_image: str = "raise",
    decode_workers: int = 0,
) -> Splits:
    """Load stop-sign and negative crops of a COCO dataset as photograph-grouped Splits.

    Args:
        task: ``"binary"`` or ``"multiclass"`` (``background`` + COCO categories).
        image_size: side of the cached square crops.
        train_size: ``None`` | int | float: nested, class-stratified subset of train.
        split_seed: seeds the split (not the crops: ``crop_seed``).
        cache_dir: where decoded crops are cached.
        root: dataset root; ``annotations`` and ``images`` are relative to it.
        stop_classes: category names whose boxes are positives.
        context, min_box_size, others_per_image, background_per_image, crop_seed: which boxes
            become crops, and how (:class:`CropRules`).
        split_fractions: ``(train, val, test)`` shares of the crops, split by photograph.
        on_bad_image: ``"raise"`` (error naming the file) or ``"skip"`` (counted, listed).
        decode_workers: decode threads; 0 = all cores.
    """
    check_on_bad_image(on_bad_image)
    root_path = Path(root).expanduser().resolve()
    ann_path, image_dir = root_path / annotations, root_path / images
    rules = CropRules(
        float(context), float(min_box_size), int(others_per_image), int(background_per_image),
        int(crop_seed),
    )  # fmt: skip
    plan = _plan(ann_path, list(stop_classes), rules)
    crops = _Crops(plan, root_path, image_dir, int(image_size))
    arrays = cached_arrays(cache_dir, crops.cache_key(on_bad_image), lambda: crops.decode(
        on_bad_image, decode_workers
    ))  # fmt: skip
    kept = plan.crops.iloc[arrays["rows"]].reset_index(drop=True)
    return build_splits(
        **crops.columns(kept, arrays),
        task=task,
        stop_classes=list(stop_classes),
        fractions=split_fractions,
        seed=split_seed,
        train_size=train_size,
        summary=LoadSummary.from_arrays(crops.summary.source, arrays),
    )


@dataclass(frozen=True)
class _Plan:
    source: Path  # the annotations file
    n_images: int  # photographs the JSON lists
    categories: list[tuple[int, str]]  # (id, name) in id order
    crops: pd.DataFrame  # see plan_crops
    dropped: Counter[str]
    sizes: dict[int, tuple[int, int]]  # image id -> (height, width) the JSON says


def _plan(ann_path: Path, stop_classes: list[str], rules: CropRules) -> _Plan:
    data = read_coco(ann_path)
    categories = sorted((int(c["id"]), str(c["name"])) for c in data["categories"])
    names = {name: cid for cid, name in categories}
    unknown = [s for s in stop_classes if s not in names]
    if unknown:
        raise InputError(f"{ann_path}: stop classes {unknown} are not categories {list(names)}")
    dropped: Counter[str] = Counter()
    stop_ids = {names[s] for s in stop_classes}
    crops = plan_crops(data, source=ann_path, stop_ids=stop_ids, rules=rules, dropped=dropped)
    sizes = {int(i["id"]): (int(i["height"]), int(i["width"])) for i in data["images"]}
    return _Plan(ann_path, len(data["images"]), categories, crops, dropped, sizes)


class _Crops:
    """Decodes the photographs of a plan into its crops (the cache's build step)."""

    def __init__(self, plan: _Plan, root: Path, image_dir: Path, image_size: int) -> None:
        self.plan, self.root, self.image_dir, self.image_size = plan, root, image_dir, image_size
        self.photos = plan.crops.drop_duplicates("image")[["image", "file_name"]]
        self.photos = self.photos.reset_index(drop=True)
        self.paths = [os.fspath(image_dir / f) for f in self.photos["file_name"]]
        groups = plan.crops.groupby("image", sort=False)
        self.boxes = {k: g[["x0", "y0", "side"]].to_numpy() for k, g in groups}
        self.summary = LoadSummary(source=f"coco:{plan.source}", read=plan.n_images, unit="images")

    def columns(self, kept: pd.DataFrame, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
        """``build_splits``'s per-image columns for the ``kept`` rows of the plan."""
        categories = self.plan.categories
        index_of = {-1: 0} | {cid: i + 1 for i, (cid, _) in enumerate(categories)}
        rel = {
            f: (self.image_dir / f).relative_to(self.root).as_posix()
            for f in self.photos["file_name"]
        }
        return {
            "images": arrays["images"],
            "image_id": (kept["file_name"].map(rel) + "#" + kept["tag"]).to_numpy(dtype=str),
            "group": np.unique(kept["image"].to_numpy(), return_inverse=True)[1],
            "labels": kept["category_id"].map(index_of).to_numpy(dtype=np.int64),
            "source_classes": (BACKGROUND, *(name for _, name in categories)),
            "split_code": None,
            "meta": kept[["image", "kind", "category_id", "x0", "y0", "side"]],
        }

    def cache_key(self, on_bad_image: str) -> dict:
        plan_text = self.plan.crops.to_csv(index=False).encode()
        return {
            "source": "coco",
            "root": os.fspath(self.root),
            "image_size": self.image_size,
            "files": file_fingerprint([self.plan.source, *self.paths]),
            "plan": hashlib.sha256(plan_text).hexdigest()[:16],
            "on_bad_image": on_bad_image,
        }

    def _decode_one(self, item: tuple[int, str]) -> np.ndarray:
        image, path = item
        check_extension(path)
        photo = read_image(path, exif_transpose=False)  # COCO boxes index the stored pixels
        want = self.plan.sizes[image]
        if photo.shape[:2] != want:
            raise BadImageError(
                path, f"is {photo.shape[1]}x{photo.shape[0]} but {self.plan.source.name} says "
                f"{want[1]}x{want[0]}"
            )  # fmt: skip
        return np.stack([resize(_crop(photo, *b), self.image_size) for b in self.boxes[image]])

    def decode(self, on_bad_image: str, workers: int) -> dict[str, np.ndarray]:
        crops, owner = parallel_decode(
            list(zip(self.photos["image"].tolist(), self.paths, strict=True)),
            self._decode_one,
            names=self.paths,
            image_size=self.image_size,
            summary=self.summary,
            on_bad_image=on_bad_image,
            workers=workers,
        )
        kept_photos = self.photos["image"].iloc[np.unique(owner)]
        kept = np.flatnonzero(self.plan.crops["image"].isin(kept_photos))
        for reason, n in self.plan.dropped.items():
            self.summary.drop(reason, n)
        return {"images": crops, "rows": kept} | self.summary.to_arrays()
