"""robustness_report: every corruption × severity scored, files written, numbers consistent."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import torch
from torch import nn
from toy_sign import toy_sign

from crowdsign.augment import CORRUPTIONS
from crowdsign.evaluation.robustness import robustness_report

CLASSES = ("other", "stop")
CPU = torch.device("cpu")


def tiny_set(n_each: int = 4, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Stop signs (class 1) and grey textured backgrounds (class 0), seeded."""
    rng = np.random.default_rng(0)
    stops = [toy_sign(size, rng=rng) for _ in range(n_each)]
    others = [
        np.clip(rng.normal(120, 20, (size, size, 3)), 0, 255).astype(np.uint8)
        for _ in range(n_each)
    ]
    return np.stack(stops + others), np.array([1] * n_each + [0] * n_each, np.int64)


def redness_model() -> nn.Module:
    """Calls an image a stop sign when red exceeds green: right on clean images."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 2))
    with torch.no_grad():
        model[2].weight.copy_(torch.tensor([[-4.0, 4.0, 0.0], [4.0, -4.0, 0.0]]))
        model[2].bias.copy_(torch.tensor([0.8, -0.8]))  # stop when mean R - G > 25 levels
    return model


class AlwaysStop(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tensor([0.0, 1.0]).expand(len(x), 2) + 0 * x.mean()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_report_writes_table_markdown_and_grid(tmp_path, restore_rng):
    images, truth = tiny_set()
    model = redness_model()
    model.train()
    out = robustness_report(
        model,
        images,
        truth,
        CLASSES,
        device=CPU,
        batch_size=5,
        out_dir=tmp_path / "r",
        stop_index=1,
        severities=(1, 5),
    )
    assert model.training  # mode restored
    rows = read_csv(tmp_path / "r" / "robustness.csv")
    assert len(rows) == 1 + 2 * len(CORRUPTIONS)
    assert rows[0]["corruption"] == "clean" and rows[0]["severity"] == "0"
    assert {r["corruption"] for r in rows[1:]} == set(CORRUPTIONS)
    assert out["clean_accuracy"] == 1.0 and out["clean_stop_recall"] == 1.0
    cells = [float(r["accuracy"]) for r in rows[1:]]
    assert out["mean_corruption_accuracy"] == pytest.approx(np.mean(cells))
    assert out["relative_drop"] == pytest.approx(1 - np.mean(cells))
    assert out["accuracy/fog"] == pytest.approx(
        np.mean([float(r["accuracy"]) for r in rows if r["corruption"] == "fog"])
    )
    assert all(0.0 <= v <= 1.0 for k, v in out.items() if k != "relative_drop")
    # a red-vs-green rule breaks under fading/fog at severity 5 more than at 1
    by = {(r["corruption"], r["severity"]): float(r["accuracy"]) for r in rows}
    assert by["fade", "5"] <= by["fade", "1"]

    md = (tmp_path / "r" / "robustness.md").read_text()
    assert "mean corruption accuracy" in md and "Stop-sign recall" in md
    assert all(f"| {name} |" in md for name in CORRUPTIONS)
    grid = matplotlib.image.imread(tmp_path / "r" / "robustness_grid.png")
    assert grid.ndim == 3 and grid.shape[0] > grid.shape[1] > 100  # 19 rows × 3 columns


def test_constant_model_scores_exactly(tmp_path):
    images, truth = tiny_set(n_each=3)
    out = robustness_report(
        AlwaysStop(),
        images,
        truth,
        CLASSES,
        device=CPU,
        batch_size=4,
        out_dir=tmp_path,
        stop_index=1,
        families=("fog", "scale"),
        severities=(2, 4),
    )
    assert out["clean_accuracy"] == out["mean_corruption_accuracy"] == 0.5
    assert out["relative_drop"] == 0.0
    assert out["clean_stop_recall"] == out["mean_corruption_stop_recall"] == 1.0
    assert set(k.split("/")[1] for k in out if k.startswith("accuracy/")) == {"fog", "scale"}
    assert out["group_accuracy/weather"] == out["group_accuracy/viewpoint"] == 0.5


def test_report_is_reproducible_and_seeded(tmp_path, restore_rng):
    images, truth = tiny_set()
    kwargs = dict(
        device=CPU,
        batch_size=8,
        stop_index=1,
        families=("rain", "stickers", "shadow"),
        severities=(3,),
    )
    model = redness_model()
    robustness_report(model, images, truth, CLASSES, out_dir=tmp_path / "a", **kwargs)
    robustness_report(model, images, truth, CLASSES, out_dir=tmp_path / "b", **kwargs)
    a = (tmp_path / "a" / "robustness.csv").read_text()
    assert a == (tmp_path / "b" / "robustness.csv").read_text()


def test_without_a_stop_class_there_is_no_recall(tmp_path, restore_rng):
    images, truth = tiny_set(n_each=2)
    out = robustness_report(
        redness_model(),
        images,
        truth,
        CLASSES,
        device=CPU,
        batch_size=8,
        out_dir=tmp_path,
        stop_index=None,
        families=("night",),
        severities=(1,),
    )
    assert not any("stop" in k for k in out)
    rows = read_csv(tmp_path / "robustness.csv")
    assert (
        rows[1]["stop_recall"] == ""
        and "Stop-sign recall" not in (tmp_path / "robustness.md").read_text()
    )


@pytest.mark.parametrize("kwargs", [{"families": ("smog",)}, {"families": ()}])
def test_rejects_unknown_families(tmp_path, kwargs):
    images, truth = tiny_set(n_each=1)
    with pytest.raises(ValueError, match="corruption"):
        robustness_report(
            AlwaysStop(),
            images,
            truth,
            CLASSES,
            device=CPU,
            batch_size=2,
            out_dir=tmp_path,
            stop_index=1,
            **kwargs,
        )
