"""Corruption benchmark (ImageNet-C style, for stop signs): accuracy under every family × severity.

Every image gets one seed from ``(seed, index)``, shared by all families and severities, so a
report is reproducible and its severities differ only in magnitude. Outputs in ``out_dir``:

- ``robustness.csv``: one row per corruption × severity (and a ``clean`` row, severity 0):
  accuracy, stop-sign recall, image counts;
- ``robustness.md``: headline numbers, accuracy and stop-sign recall tables, per-group means;
- ``robustness_grid.png``: one sample image (the first stop sign, if any) per corruption ×
  severity, titled with the model's prediction (green right, red wrong).

Mean corruption accuracy (mCA) is the unweighted mean over all corruption × severity cells;
the relative drop is ``1 - mCA / clean accuracy``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torch import nn

from crowdsign.augment import Preset
from crowdsign.augment.corruptions import CORRUPTIONS, corrupt_batch, image_seeds
from crowdsign.augment.family import FAMILIES
from crowdsign.augment.tensor import to_tensor_batch
from crowdsign.markdown import table
from crowdsign.runtime.run_dir import RunDir


@dataclass(frozen=True)
class Cell:
    """Scores of one corruption at one severity (``clean``/0 for the uncorrupted images)."""

    corruption: str
    group: str
    severity: int
    accuracy: float
    stop_recall: float  # NaN without a stop class or stop images
    n_images: int
    n_stop: int


@torch.inference_mode()
def predict(
    model: nn.Module,
    images: np.ndarray,
    *,
    device: torch.device,
    batch_size: int,
    preset: Preset | None = None,
) -> np.ndarray:
    """(N,) int64 argmax predictions of ``model`` on (N, H, W, 3) uint8 images, each passed
    through ``preset`` (the checkpoint's eval preset: its contrast normalisation) first."""
    if preset is not None:
        images = np.stack([preset(im) for im in images]) if len(images) else images
    out = [
        model(to_tensor_batch(images[i : i + batch_size], device=device)).argmax(1).cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(out).numpy().astype(np.int64) if out else np.zeros(0, np.int64)


def _checked(
    families: Sequence[str] | None, images: np.ndarray, truth: np.ndarray
) -> tuple[tuple[str, ...], np.ndarray]:
    """The families to run (all by default) and ``truth`` as int64, or a ValueError."""
    families = tuple(CORRUPTIONS if families is None else families)
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        raise ValueError(f"unknown corruption(s) {unknown}; known: {', '.join(CORRUPTIONS)}")
    truth = np.asarray(truth, np.int64)
    if images.ndim != 4 or len(images) != len(truth) or len(images) == 0:
        raise ValueError(
            f"need (N, H, W, 3) images and (N,) truth, got {images.shape}, {truth.shape}"
        )
    return families, truth


def _corrupted_cells(
    score: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    truth: np.ndarray,
    stop_index: int | None,
    families: Sequence[str],
    severities: Sequence[int],
    seeds: np.ndarray,
    sample: int,
) -> tuple[list[Cell], dict[tuple[str, int], tuple[np.ndarray, int]]]:
    """A scored cell per family × severity, and the ``sample`` image's corruptions with their
    predictions (for the grid figure)."""
    cells: list[Cell] = []
    grid: dict[tuple[str, int], tuple[np.ndarray, int]] = {}
    for name in families:
        for severity in severities:
            corrupted = corrupt_batch(images, name, severity, seeds=seeds)
            pred = score(corrupted)
            cells.append(_cell(name, FAMILIES[name].group, severity, pred, truth, stop_index))
            grid[name, severity] = corrupted[sample], int(pred[sample])
    return cells, grid


def robustness_report(
    model: nn.Module,
    images: np.ndarray,
    truth: np.ndarray,
    class_names: tuple[str, ...],
    *,
    device: torch.device,
    batch_size: int,
    out_dir: Path,
    stop_index: int | None,
    seed: int = 0,
    severities: Sequence[int] = (1, 2, 3, 4, 5),
    families: Sequence[str] | None = None,
    preset: Preset | None = None,
) -> dict[str, float]:
    """Score ``model`` on ``images`` under every corruption × severity; write CSV, MD and PNG.

    ``images`` (N, H, W, 3) uint8 RGB at the model's input size; ``truth`` (N,) int64 class
    indices into ``class_names``; ``stop_index`` the stop-sign class (None: no recall).
    ``preset`` (the checkpoint's eval preset) runs after each corruption, as a camera's image
    would meet the model: the corruption happens in the world, the normalisation in the model's
    input path.
    Returns the headline numbers, flat: ``clean_accuracy``, ``mean_corruption_accuracy``,
    ``relative_drop``, ``accuracy/<family>`` (mean over severities), ``group_accuracy/<group>``,
    and with a stop class ``clean_stop_recall``, ``mean_corruption_stop_recall``,
    ``stop_recall/<family>``. The model is left in the train/eval mode it came in.
    """
    families, truth = _checked(families, images, truth)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    is_stop = truth == stop_index if stop_index is not None else np.zeros(len(truth), bool)
    sample = int(np.flatnonzero(is_stop)[0]) if is_stop.any() else 0
    seeds = image_seeds(seed, len(images))

    def score(batch: np.ndarray) -> np.ndarray:
        return predict(model, batch, device=device, batch_size=batch_size, preset=preset)

    was_training = model.training
    model.eval()
    try:
        clean_pred = score(images)
        clean = _cell("clean", "clean", 0, clean_pred, truth, stop_index)
        cells, grid = _corrupted_cells(score, images, truth, stop_index, families, severities,
                                       seeds, sample)  # fmt: skip
    finally:
        model.train(was_training)

    run = RunDir(out_dir)
    _write_csv(run.robustness_csv, [clean, *cells])
    headline = _headline(clean, cells, families, has_stop=bool(is_stop.any()))
    _write_markdown(run.robustness_md, clean, cells, headline, families, severities, seed)
    _write_grid(
        run.robustness_grid,
        (images[sample], int(clean_pred[sample])),
        grid,
        families,
        severities,
        class_names,
        int(truth[sample]),
    )
    return headline


def _cell(
    name: str,
    group: str,
    severity: int,
    pred: np.ndarray,
    truth: np.ndarray,
    stop_index: int | None,
) -> Cell:
    is_stop = truth == stop_index
    return Cell(
        corruption=name,
        group=group,
        severity=severity,
        accuracy=float(np.mean(pred == truth)),
        stop_recall=float(np.mean(pred[is_stop] == stop_index)) if is_stop.any() else math.nan,
        n_images=len(truth),
        n_stop=int(is_stop.sum()),
    )


def _headline(
    clean: Cell, cells: list[Cell], families: Sequence[str], *, has_stop: bool
) -> dict[str, float]:
    mca = float(np.mean([c.accuracy for c in cells]))
    out = {
        "clean_accuracy": clean.accuracy,
        "mean_corruption_accuracy": mca,
        "relative_drop": 1.0 - mca / clean.accuracy if clean.accuracy > 0 else math.nan,
    }
    if has_stop:
        out["clean_stop_recall"] = clean.stop_recall
        out["mean_corruption_stop_recall"] = float(np.mean([c.stop_recall for c in cells]))
    for name in families:
        mine = [c for c in cells if c.corruption == name]
        out[f"accuracy/{name}"] = float(np.mean([c.accuracy for c in mine]))
        if has_stop:
            out[f"stop_recall/{name}"] = float(np.mean([c.stop_recall for c in mine]))
    for group in dict.fromkeys(FAMILIES[name].group for name in families):
        mine = [c for c in cells if c.group == group]
        out[f"group_accuracy/{group}"] = float(np.mean([c.accuracy for c in mine]))
    return out


def _write_csv(path: Path, cells: list[Cell]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(Cell.__dataclass_fields__))
        for c in cells:
            writer.writerow(
                [
                    c.corruption,
                    c.group,
                    c.severity,
                    f"{c.accuracy:.6f}",
                    "" if math.isnan(c.stop_recall) else f"{c.stop_recall:.6f}",
                    c.n_images,
                    c.n_stop,
                ]
            )


def _fmt(value: float, *, percent: bool = False) -> str:
    if math.isnan(value):
        return "–"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def _table(
    cells: list[Cell], families: Sequence[str], severities: Sequence[int], field: str
) -> list[str]:
    by_key = {(c.corruption, c.severity): getattr(c, field) for c in cells}
    rows = []
    for name in families:
        values = [by_key[name, s] for s in severities]
        mean = _fmt(float(np.mean(values)))
        rows.append([name, FAMILIES[name].group, *(_fmt(v) for v in values), mean])
    means = [float(np.mean([by_key[n, s] for n in families])) for s in severities]
    overall = _fmt(float(np.mean(means)))
    rows.append(["**mean**", "", *(_fmt(m) for m in means), f"**{overall}**"])
    header = ["corruption", "group", *severities, "mean"]
    return table(header, rows, align="ll" + "r" * (len(severities) + 1))


def _write_markdown(
    path: Path,
    clean: Cell,
    cells: list[Cell],
    headline: dict[str, float],
    families: Sequence[str],
    severities: Sequence[int],
    seed: int,
) -> None:
    has_stop = "clean_stop_recall" in headline
    lines = [
        "# Robustness to corruptions",
        "",
        f"{clean.n_images} images ({clean.n_stop} stop signs), {len(families)} corruptions "
        f"× severities {', '.join(map(str, severities))}, seed {seed}.",
        "",
        "| metric | value |",
        "|---|---:|",
        f"| clean accuracy | {_fmt(clean.accuracy)} |",
        f"| mean corruption accuracy (mCA) | {_fmt(headline['mean_corruption_accuracy'])} |",
        f"| relative drop (1 − mCA / clean) | {_fmt(headline['relative_drop'], percent=True)} |",
    ]
    if has_stop:
        lines += [
            f"| stop-sign recall, clean | {_fmt(clean.stop_recall)} |",
            f"| stop-sign recall, mean under corruption | "
            f"{_fmt(headline['mean_corruption_stop_recall'])} |",
        ]
    lines += ["", "## Accuracy per corruption × severity", ""]
    lines += _table(cells, families, severities, "accuracy")
    if has_stop:
        lines += ["", "## Stop-sign recall per corruption × severity", ""]
        lines += _table(cells, families, severities, "stop_recall")
    lines += ["", "## Per group (mean over its corruptions and severities)", ""]
    lines += ["| group | accuracy |", "|---|---:|"]
    lines += [
        f"| {key.split('/', 1)[1]} | {_fmt(value)} |"
        for key, value in headline.items()
        if key.startswith("group_accuracy/")
    ]
    lines += ["", "## Corruptions", ""]
    lines += [
        f"- `{name}` ({FAMILIES[name].group}): {FAMILIES[name].description}" for name in families
    ]
    path.write_text("\n".join(lines) + "\n")


def _write_grid(
    path: Path,
    clean: tuple[np.ndarray, int],
    grid: dict[tuple[str, int], tuple[np.ndarray, int]],
    families: Sequence[str],
    severities: Sequence[int],
    class_names: Sequence[str],
    truth: int,
) -> None:
    """Rows: corruptions; columns: clean, then each severity.

    One montage in one axes (a subplot per tile takes seconds): each tile framed green when the
    model's prediction is right and red when wrong, with the predicted class under it.
    """
    h, w = clean[0].shape[:2]
    zoom = max(1, math.ceil(64 / max(h, w)))
    tile_h, tile_w, pad = h * zoom + 6, w * zoom + 6, 14
    rows, cols = len(families), len(severities) + 1
    canvas = np.full((rows * (tile_h + pad), cols * (tile_w + 4), 3), 255, np.uint8)
    fig = Figure(figsize=(canvas.shape[1] / 80 + 1.2, canvas.shape[0] / 80 + 0.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    for r, name in enumerate(families):
        for c in range(cols):
            image, pred = clean if c == 0 else grid[name, severities[c - 1]]
            frame = (40, 160, 60) if pred == truth else (210, 40, 40)
            y, x = r * (tile_h + pad), c * (tile_w + 4)
            canvas[y : y + tile_h, x : x + tile_w] = frame
            big = np.repeat(np.repeat(image, zoom, axis=0), zoom, axis=1)
            canvas[y + 3 : y + tile_h - 3, x + 3 : x + tile_w - 3] = big
            label = class_names[pred] if 0 <= pred < len(class_names) else str(pred)
            ax.text(x + tile_w / 2, y + tile_h + 1, label[:14], ha="center", va="top", fontsize=6)
    ax.imshow(canvas, interpolation="nearest")
    ax.set_xticks([c * (tile_w + 4) + tile_w / 2 for c in range(cols)])
    ax.set_xticklabels(["clean", *(f"severity {s}" for s in severities)], fontsize=7)
    ax.xaxis.tick_top()
    ax.set_yticks([r * (tile_h + pad) + tile_h / 2 for r in range(rows)])
    ax.set_yticklabels(families, fontsize=7)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"truth: {class_names[truth]}", fontsize=8, pad=14)
    fig.savefig(path, bbox_inches="tight")
