"""predict: streaming over a folder with bad files, threshold decisions, wrong checkpoints."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO
from PIL import Image

import crowdsign.cli  # noqa: F401 - registers base_predict / base_export
from crowdsign.augment import eval_preset
from crowdsign.data.decode import read_image
from crowdsign.inference import load_model
from crowdsign.inference.contact_sheet import ExtremeStops
from crowdsign.inference.inputs import resolve_inputs
from crowdsign.inference.predict import predict
from crowdsign.runtime.checkpoint import load_checkpoint, save_checkpoint
from crowdsign.runtime.device import Precision
from crowdsign.runtime.scoring import predict_proba

CPU = Precision(device=torch.device("cpu"), autocast_dtype=None, channels_last=False)


@pytest.fixture(scope="module")
def smoke_ckpt(smoke_run) -> Path:
    """``checkpoints/best.pt`` of the session's smoke train (binary, 32 px)."""
    cfg, _ = smoke_run
    return Path(cfg.paths.output_dir) / "checkpoints" / "best.pt"


def _image(path: Path, rng: np.random.Generator, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(path)


@pytest.fixture
def folder(tmp_path) -> Path:
    """5 good images (PNG, JPEG, PPM; one nested; odd sizes) and 3 bad ones, sorted so the
    first batch of 2 holds only bad files."""
    rng = np.random.default_rng(0)
    root = tmp_path / "images"
    (root / "a_bad.jpg").parent.mkdir(parents=True)
    (root / "a_bad.jpg").write_bytes(b"this is not a jpeg")
    (root / "a_empty.png").write_bytes(b"")
    _image(root / "b.png", rng, (40, 56))
    _image(root / "c.jpg", rng, (64, 64))
    _image(root / "d.ppm", rng, (20, 20))
    _image(root / "sub" / "e.png", rng, (32, 32))
    _image(root / "sub" / "f.png", rng, (100, 80))
    good = (root / "b.png").read_bytes()
    (root / "c_truncated.png").write_bytes(good[: len(good) // 2])
    (root / "notes.txt").write_text("not an image, ignored")
    return root


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_folder_with_corrupt_files_is_predicted_and_bad_files_reported(
    make_cfg, smoke_ckpt, folder
):
    cfg = make_cfg(
        "predict",
        [f"ckpt_path={smoke_ckpt}", f"inputs={folder}", "trainer.eval_batch_size=2"],
        out="pred",
    )
    result = predict(cfg)
    rows = _rows(result.output)
    assert [Path(r["path"]).name for r in rows] == ["b.png", "c.jpg", "d.ppm", "e.png", "f.png"]
    skipped = {
        Path(r["path"]).name: r["reason"] for r in _rows(result.output.with_name("skipped.csv"))
    }
    assert set(skipped) == {"a_bad.jpg", "a_empty.png", "c_truncated.png"}
    assert "empty" in skipped["a_empty.png"]
    assert result.n_predicted == 5 and len(result.skipped) == 3
    loaded = load_model(smoke_ckpt)
    assert loaded.threshold is None  # crowd selection: no certified operating point
    for r in rows:
        assert r["predicted"] in ("not_stop", "stop")
        assert 0.0 <= float(r["p_stop"]) <= 1.0
        # no threshold given or stored: the argmax class decides
        assert r["stop"] == str(r["predicted"] == "stop")

    # the checkpoint's own eval preprocessing: same p_stop as the model on eval_preset(image)
    image = eval_preset(image_size=loaded.image_size)(read_image(folder / "sub" / "f.png"))
    p = predict_proba(loaded.model, image[None], precision=CPU, batch_size=1)
    assert float(rows[-1]["p_stop"]) == pytest.approx(float(p[0, 1]), abs=1e-6)


def test_threshold_decides_stop_and_json_output(make_cfg, smoke_ckpt, folder):
    all_stop = predict(
        make_cfg(
            "predict",
            [f"ckpt_path={smoke_ckpt}", f"inputs={folder}", "threshold=0.0", "sheet_size=2"],
            out="low",
        )
    )
    assert all_stop.n_stop == 5
    assert all_stop.sheet is not None
    with Image.open(all_stop.sheet) as sheet:
        assert sheet.size[1] > 2 * 128  # two rows of 128 px tiles

    none = predict(
        make_cfg(
            "predict",
            [f"ckpt_path={smoke_ckpt}", f"inputs={folder}", "threshold=1.0", "output_format=json"],
            out="high",
        )
    )
    assert none.n_stop == 0 and none.sheet is None  # nothing predicted stop: no sheet
    doc = json.loads(none.output.read_text())
    assert doc["threshold"] == 1.0 and doc["class_names"] == ["not_stop", "stop"]
    assert len(doc["predictions"]) == 5 and not any(p["stop"] for p in doc["predictions"])
    assert {Path(s["path"]).name for s in doc["skipped"]} == {
        "a_bad.jpg",
        "a_empty.png",
        "c_truncated.png",
    }

    with pytest.raises(ValueError, match="threshold=1.5"):
        predict(
            make_cfg("predict", [f"ckpt_path={smoke_ckpt}", f"inputs={folder}", "threshold=1.5"])
        )


def test_inputs_file_glob_and_missing(folder):
    assert resolve_inputs(str(folder / "b.png")) == [str(folder / "b.png")]
    matched = resolve_inputs(str(folder / "**" / "*.png"))
    assert [Path(p).name for p in matched] == [
        "a_empty.png",
        "b.png",
        "c_truncated.png",
        "e.png",
        "f.png",
    ]
    assert len(resolve_inputs([str(folder / "b.png"), str(folder)])) == 8  # deduplicated
    with pytest.raises(FileNotFoundError, match="nope.png"):
        resolve_inputs(str(folder / "nope.png"))
    with pytest.raises(FileNotFoundError, match="pattern"):
        resolve_inputs(str(folder / "*.webp"))
    (folder / "empty_dir").mkdir()
    with pytest.raises(FileNotFoundError, match="no image files"):
        resolve_inputs(str(folder / "empty_dir"))


def _rewrite(ckpt: Path, dest: Path, edit) -> Path:
    state = load_checkpoint(ckpt)
    edit(state)
    save_checkpoint(state, dest)
    return dest


def test_threshold_on_a_task_without_stop_class_is_refused(make_cfg, smoke_ckpt, folder, tmp_path):
    def no_stop(state):
        state["class_names"] = ["cat", "dog"]
        state["config"]["data"]["task"] = "multiclass"

    ckpt = _rewrite(smoke_ckpt, tmp_path / "pets.pt", no_stop)
    cfg = make_cfg("predict", [f"ckpt_path={ckpt}", f"inputs={folder}", "threshold=0.5"])
    with pytest.raises(ValueError, match=r"pets\.pt.*none of which is a stop sign"):
        predict(cfg)
    # without a threshold it still predicts, leaving p_stop and stop empty
    result = predict(make_cfg("predict", [f"ckpt_path={ckpt}", f"inputs={folder}"], out="pets"))
    rows = _rows(result.output)
    assert {r["predicted"] for r in rows} <= {"cat", "dog"}
    assert all(r["p_stop"] == "" and r["stop"] == "" for r in rows)
    assert result.n_stop is None and result.sheet is None


def test_broken_checkpoints_are_clear(smoke_ckpt, tmp_path):
    def no_size(state):
        del state["config"]["data"]["image_size"]

    with pytest.raises(ValueError, match=r"nosize\.pt.*data\.image_size"):
        load_model(_rewrite(smoke_ckpt, tmp_path / "nosize.pt", no_size))

    def other_model(state):
        state["config"]["model"] = {"_target_": "crowdsign.models.CompactResNet"}

    with pytest.raises(ValueError, match=r"othermodel\.pt.*do not fit"):
        load_model(_rewrite(smoke_ckpt, tmp_path / "othermodel.pt", other_model))

    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_model(tmp_path / "missing.pt")


def test_extreme_stops_keeps_k_highest_and_lowest():
    ex = ExtremeStops(k=2)
    for i, p in enumerate([0.6, 0.9, 0.55, 0.99, 0.7]):
        ex.add(p, f"img{i}", np.full((4, 4, 3), i, np.uint8))
    assert [p for _, p, _ in ex.most] == [0.99, 0.9]
    assert [p for _, p, _ in ex.least] == [0.55, 0.6]
    assert [name for name, _, _ in ex.least] == ["img2", "img0"]
    assert len(ex) == 5


@pytest.mark.slow
def test_predict_cli(smoke_ckpt, folder, tmp_path):
    """`python predict.py ckpt_path=... inputs=...` as a user would run it."""
    out = tmp_path / "cli"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "predict.py"),
            f"ckpt_path={smoke_ckpt}",
            f"inputs={folder}",
            f"hydra.run.dir={out}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "predicted 5 image(s)" in done.stdout and "skipped 3" in done.stdout
    assert len(_rows(out / "predictions.csv")) == 5
