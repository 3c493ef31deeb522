"""ONNX export: dynamic batch, metadata, parity with PyTorch, and a loud failure without it."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from conftest import REPO, compose_config

import crowdsign.cli  # noqa: F401 - registers base_predict / base_export
import crowdsign.inference.export as export_module
from crowdsign.augment import eval_preset
from crowdsign.inference import load_model
from crowdsign.inference.export import OnnxParityError, check_onnx_parity, export
from crowdsign.models.inputs import hwc_to_chw
from crowdsign.runtime.device import Precision
from crowdsign.runtime.scoring import predict_proba


@pytest.fixture(scope="module")
def exported(smoke_run, tmp_path_factory) -> tuple[Path, Path]:
    """(checkpoint, model.onnx) of the session's smoke train, exported once per module."""
    cfg, _ = smoke_run
    ckpt = Path(cfg.paths.output_dir) / "checkpoints" / "best.pt"
    out = tmp_path_factory.mktemp("export")
    result = export(
        compose_config("export", [f"ckpt_path={ckpt}", f"paths.output_dir={out}/export"])
    )
    assert result.path == out / "export" / "model.onnx" and result.checked == 16
    assert result.max_abs_diff < 1e-4
    return ckpt, result.path


def test_onnx_has_dynamic_batch_metadata_and_matches_predict(exported):
    ckpt, path = exported
    model = onnx.load(str(path))
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["crowdsign.class_names"]) == ["not_stop", "stop"]
    assert meta["crowdsign.image_size"] == "32"
    assert "INTER_AREA" in meta["crowdsign.preprocessing"]
    assert json.loads(meta["crowdsign.normalization"])["in_graph"] is True

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    assert inp.name == "images" and inp.type == "tensor(uint8)"
    assert isinstance(inp.shape[0], str) and inp.shape[1:] == [3, 32, 32]

    # batches of 1 and 5 (the example was 2): same probabilities as the PyTorch predict path
    rng = np.random.default_rng(1)
    preset = eval_preset(image_size=32)
    images = np.stack([preset(rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)) for _ in range(5)])
    loaded = load_model(ckpt)
    cpu = Precision(torch.device("cpu"), None, False)
    want = predict_proba(loaded.model, images, precision=cpu, batch_size=5).numpy()
    for batch in (images[:1], images):
        logits, probs = session.run(["logits", "probs"], {"images": hwc_to_chw(batch).numpy()})
        assert logits.shape == (len(batch), 2)
        np.testing.assert_allclose(probs, want[: len(batch)], atol=1e-5)


def test_parity_check_fails_loudly_for_a_different_model(exported):
    ckpt, path = exported
    loaded = load_model(ckpt)
    assert check_onnx_parity(path, loaded, n=4) < 1e-4
    perturbed = copy.deepcopy(loaded.model)
    with torch.no_grad():
        perturbed.model.net[-1].bias += 1e-3  # the ONNX file no longer holds this model
    other = dataclasses.replace(loaded, model=perturbed)
    with pytest.raises(OnnxParityError, match=r"model\.onnx.*'logits' differ.*atol=0"):
        check_onnx_parity(path, other, n=4, atol=0.0, rtol=0.0)


@pytest.mark.parametrize("fault", ["perturbed", "wrong_batch"])
def test_export_refuses_to_finish_when_onnxruntime_disagrees(
    exported, tmp_path, monkeypatch, fault
):
    ckpt, prebuilt = exported
    real_run = export_module.run_onnxruntime

    def fake_export(loaded, path, *, opset=None):  # the module's export, without re-tracing
        shutil.copyfile(prebuilt, path)

    def faulty_run(path, images):
        out = real_run(path, images)
        if fault == "perturbed":
            return {k: v + 1e-3 for k, v in out.items()}
        return {k: v[:1] for k, v in out.items()}

    monkeypatch.setitem(export_module.EXPORTERS, "onnx", fake_export)
    monkeypatch.setattr(export_module, "run_onnxruntime", faulty_run)
    cfg = compose_config("export", [f"ckpt_path={ckpt}", f"paths.output_dir={tmp_path}"])
    match = "differ from PyTorch" if fault == "perturbed" else "shape"
    with pytest.raises(OnnxParityError, match=match):
        export(cfg)
    assert list(tmp_path.iterdir()) == []  # neither model.onnx nor a partial file is left


def test_unknown_format_and_missing_checkpoint_are_clear(exported, tmp_path):
    ckpt, _ = exported
    with pytest.raises(ValueError, match="tflite"):
        export(compose_config("export", [f"ckpt_path={ckpt}", "format=tflite"]))
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        export(compose_config("export", [f"ckpt_path={tmp_path / 'nope.pt'}"]))


@pytest.mark.slow
def test_export_cli(exported, tmp_path):
    """`python export.py ckpt_path=...` as a user would run it."""
    ckpt, _ = exported
    done = subprocess.run(
        [sys.executable, str(REPO / "export.py"), f"ckpt_path={ckpt}", f"hydra.run.dir={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "onnxruntime matches PyTorch" in done.stdout
    assert (tmp_path / "model.onnx").is_file()
