"""One path from file to tensor per checkpoint: evaluate, predict and the ONNX export give the
same probabilities on the same files (the checkpoint's side, contrast and temperature)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from conftest import compose_config
from PIL import Image

import crowdsign.cli  # noqa: F401 - registers base_predict / base_export
from crowdsign.augment import eval_preset
from crowdsign.data.decode import read_image
from crowdsign.evaluation.evaluate import load_for_evaluation
from crowdsign.inference import load_model
from crowdsign.inference.export import export
from crowdsign.inference.predict import predict
from crowdsign.models.inputs import hwc_to_chw
from crowdsign.runtime.checkpoint import load_checkpoint, save_checkpoint
from crowdsign.runtime.scoring import evaluate_split

SIZES = [(45, 37), (20, 20), (64, 50), (33, 33), (28, 40), (90, 70)]


@pytest.fixture(scope="module")
def clahe_ckpt(smoke_run, tmp_path_factory) -> Path:
    """The smoke checkpoint (binary, 32 px) as if trained with CLAHE and calibrated at T=1.7."""
    cfg, _ = smoke_run
    state = load_checkpoint(Path(cfg.paths.output_dir) / "checkpoints" / "best.pt")
    state["config"]["augment"]["contrast"] = "clahe"
    state["temperature"] = 1.7
    path = tmp_path_factory.mktemp("ckpt") / "clahe.pt"
    save_checkpoint(state, path)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """An ImageFolder tree with predefined splits; test/ holds odd-sized, dim photos."""
    rng = np.random.default_rng(3)
    root = tmp_path_factory.mktemp("photos")
    for split, n in (("train", 2), ("val", 2), ("test", len(SIZES))):
        for cls in ("other", "stop"):
            folder = root / split / cls
            folder.mkdir(parents=True)
            for i in range(n):
                h, w = SIZES[i % len(SIZES)]
                dim = rng.integers(0, 80, (h, w, 3), dtype=np.uint8)  # CLAHE changes these
                Image.fromarray(dim).save(folder / f"{split}_{cls}_{i}.png")
    return root


def test_evaluate_predict_and_onnx_give_identical_probabilities(
    clahe_ckpt, photos, tmp_path, cache_dir
):
    loaded = load_model(clahe_ckpt)
    assert loaded.contrast == "clahe" and loaded.temperature == 1.7
    files = sorted((photos / "test").rglob("*.png"))

    # evaluate: the folder source is decoded at the checkpoint's 32 px, not the folder's 64
    ev_cfg = compose_config(
        "evaluate",
        [
            f"ckpt_path={clahe_ckpt}",
            "data=folder",
            f"data.root={photos}",
            f"paths.output_dir={tmp_path / 'eval'}",
            f"paths.cache_dir={cache_dir}",
        ],
    )
    ev = load_for_evaluation(ev_cfg)
    assert ev.images.image_size == 32 and len(ev.images) == len(files)
    _, _, probs = evaluate_split(
        ev.model, ev.images, precision=ev.precision, batch_size=5, preset=ev.preset
    )
    p_eval = {Path(i).name: float(p) for i, p in zip(ev.images.image_id, probs[:, 1], strict=True)}

    # predict: each file decoded and prepared once, in batches of 4
    pr_cfg = compose_config(
        "predict",
        [
            f"ckpt_path={clahe_ckpt}",
            f"inputs={photos / 'test'}",
            "trainer.eval_batch_size=4",
            f"paths.output_dir={tmp_path / 'pred'}",
        ],
    )
    with predict(pr_cfg).output.open(newline="") as f:
        p_pred = {Path(r["path"]).name: float(r["p_stop"]) for r in csv.DictReader(f)}

    # export: onnxruntime on the checkpoint's eval preset of each file
    onnx_path = export(
        compose_config(
            "export", [f"ckpt_path={clahe_ckpt}", f"paths.output_dir={tmp_path / 'export'}"]
        )
    ).path
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    prepared = np.stack([loaded.eval_preset()(read_image(f)) for f in files])
    (onnx_probs,) = session.run(["probs"], {"images": hwc_to_chw(prepared).numpy()})
    p_onnx = {f.name: float(p) for f, p in zip(files, onnx_probs[:, 1], strict=True)}

    assert set(p_eval) == set(p_pred) == set(p_onnx) == {f.name for f in files}
    for name in p_eval:
        assert p_pred[name] == pytest.approx(p_eval[name], abs=2e-6), name  # CSV rounds to 1e-6
        assert p_onnx[name] == pytest.approx(p_eval[name], abs=1e-5), name

    # the path really holds the contrast step and the temperature: without them, other numbers
    plain = np.stack([eval_preset(image_size=32)(read_image(f)) for f in files])
    assert not np.array_equal(plain, prepared)
    x = (hwc_to_chw(prepared).float() / 255 - 0.5) / 0.5
    with torch.no_grad():
        uncalibrated = loaded.model.model(x).softmax(1)[:, 1].numpy()
    assert np.abs(uncalibrated - onnx_probs[:, 1]).max() > 1e-4


def test_evaluate_names_a_missing_devtest_split(clahe_ckpt, tmp_path, cache_dir):
    cfg = compose_config(
        "evaluate",
        [
            f"ckpt_path={clahe_ckpt}",
            "split=devtest",
            f"paths.output_dir={tmp_path / 'eval'}",
            f"paths.cache_dir={cache_dir}",
        ],
    )
    with pytest.raises(ValueError, match="split=devtest.*devtest_fraction"):
        load_for_evaluation(cfg)
