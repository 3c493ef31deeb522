"""``export(cfg)``: ONNX with a dynamic batch axis, checked against PyTorch before it is kept.

The exported graph takes what a decoder and the checkpoint's eval preset produce — ``images``
uint8 ``(batch, 3, S, S)`` RGB — and normalises inside the graph exactly as
:func:`crowdsign.models.inputs.to_model_input` does, so a consumer cannot get the mean and std
wrong; the resize and contrast normalisation it must do itself are written in the model's
``metadata_props``. The checkpoint's calibration temperature is inside the graph. The file is
written under a temporary name, run with onnxruntime on a batch of a size other than the
export example's, compared with PyTorch, and renamed into place only when they agree.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from omegaconf import DictConfig
from torch import nn

from crowdsign.errors import ConfigError
from crowdsign.inference.model import LoadedModel, load_model
from crowdsign.models.inputs import MEAN, STD, hwc_to_chw, to_model_input

log = logging.getLogger(__name__)

INPUT, OUTPUTS = "images", ("logits", "probs")
EXAMPLE_BATCH = 2  # the traced example; the batch axis stays symbolic (1 would specialise it)


class OnnxParityError(RuntimeError):
    """onnxruntime's outputs differ from PyTorch's beyond the tolerance."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    size_bytes: int
    checked: int  # images in the parity check
    max_abs_diff: float  # largest |onnx - torch| over logits and probabilities


class WithPreprocessing(nn.Module):
    """``(B, 3, S, S)`` uint8 → ``(logits, probs)``: the input contract, then the model."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (images.float() / 255.0 - MEAN) / STD  # = to_model_input; checked by the parity run
        logits = self.model(x)
        return logits, logits.softmax(1)


def onnx_metadata(loaded: LoadedModel) -> dict[str, str]:
    """The ``metadata_props`` that tell a consumer how to feed the model and read its output."""
    s = loaded.image_size
    return {
        "crowdsign.input": f"{INPUT}: uint8 (batch, 3, {s}, {s}), RGB, channels first",
        "crowdsign.preprocessing": (
            "decode to RGB (EXIF orientation applied, alpha composited over white); resize to "
            f"{s}x{s} without keeping the aspect ratio, cv2.INTER_AREA when shrinking and "
            "cv2.INTER_LINEAR when enlarging; then contrast normalisation "
            f"{loaded.contrast!r} (crowdsign.augment.contrast; 'none' = nothing); all of it is "
            "crowdsign.augment.eval_preset; HWC -> CHW; feed uint8. The graph itself scales to "
            "[0, 1] and normalises (x - 0.5) / 0.5."
        ),
        "crowdsign.contrast": loaded.contrast,
        "crowdsign.temperature": repr(loaded.temperature),
        "crowdsign.normalization": json.dumps(
            {"scale": "1/255", "mean": MEAN, "std": STD, "in_graph": True}
        ),
        "crowdsign.image_size": str(s),
        "crowdsign.outputs": (
            "logits: float32 (batch, C), divided by the calibration temperature; "
            "probs: softmax(logits), calibrated"
        ),
        "crowdsign.class_names": json.dumps(list(loaded.class_names)),
        "crowdsign.stop_indices": json.dumps(list(loaded.stop_indices)),
        "crowdsign.model": str(loaded.config["model"]["_target_"]),
        "crowdsign.checkpoint": str(loaded.path.resolve()),
        "crowdsign.epoch": str(loaded.epoch),
    }


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Raise the named loggers to WARNING for a while (the ONNX optimiser logs each pass)."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def export_onnx(loaded: LoadedModel, path: Path, *, opset: int | None = None) -> None:
    """Write ``loaded`` as ONNX to ``path``: one file, dynamic batch, metadata set."""
    wrapper = WithPreprocessing(loaded.model).cpu().eval()
    s = loaded.image_size
    example = torch.zeros((EXAMPLE_BATCH, 3, s, s), dtype=torch.uint8)
    with _quiet("onnxscript", "onnx_ir", "torch.onnx"):
        program = torch.onnx.export(
            wrapper,
            (example,),
            None,
            input_names=[INPUT],
            output_names=list(OUTPUTS),
            dynamic_shapes={"images": {0: torch.export.Dim("batch", min=1)}},
            opset_version=opset,
            dynamo=True,
            external_data=False,
            verbose=False,  # the exporter otherwise prints its progress to stdout
        )
    proto = program.model_proto
    onnx.helper.set_model_props(proto, onnx_metadata(loaded))
    proto.doc_string = f"crowdsign classifier of {list(loaded.class_names)} from {loaded.path}"
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, path)
    onnx.checker.check_model(str(path))


def run_onnxruntime(path: Path, images: np.ndarray) -> dict[str, np.ndarray]:
    """Outputs by name of the ONNX model at ``path`` on ``(B, 3, S, S)`` uint8 ``images``."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, {INPUT: images}), strict=True))


def parity_images(image_size: int, n: int, seed: int) -> np.ndarray:
    """``(n, S, S, 3)`` uint8: an all-black and an all-white image, then seeded noise."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, image_size, image_size, 3), dtype=np.uint8)
    images[:1], images[1:2] = 0, 255
    return images


@torch.no_grad()
def check_onnx_parity(
    path: Path,
    loaded: LoadedModel,
    *,
    n: int = 16,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    seed: int = 0,
) -> float:
    """Run the ONNX model and the PyTorch model (``to_model_input`` then the network, fp32 on
    the CPU) on the same ``n`` images; return the largest absolute difference.

    Raises:
        OnnxParityError: a shape differs or ``|onnx - torch| > atol + rtol * |torch|`` anywhere
            in the logits or the probabilities; the message names the file and the worst gap.
    """
    if n < 1:
        raise ValueError(f"check_batch must be >= 1, got {n}")
    images = parity_images(loaded.image_size, n, seed)
    model = loaded.model.cpu().eval()
    logits = model(to_model_input(hwc_to_chw(images))).float()
    expected = {"logits": logits.numpy(), "probs": logits.softmax(1).numpy()}
    got = run_onnxruntime(path, hwc_to_chw(images).numpy())
    worst = 0.0
    for name, want in expected.items():
        have = got.get(name)
        if have is None or have.shape != want.shape:
            shape = None if have is None else have.shape
            raise OnnxParityError(
                f"{path}: output {name!r} has shape {shape} on a batch of {n}, PyTorch's "
                f"{want.shape}; the export is not kept"
            )
        gap = np.abs(have.astype(np.float64) - want)
        worst = max(worst, float(np.nanmax(gap)) if np.isfinite(gap).all() else float("inf"))
        if not np.all(gap <= atol + rtol * np.abs(want)):  # NaN gaps fail here too
            raise OnnxParityError(
                f"{path}: onnxruntime's {name!r} differ from PyTorch's by up to {worst:.3g} "
                f"(atol={atol}, rtol={rtol}, {n} images); the export is not kept"
            )
    return worst


EXPORTERS: dict[str, Callable[..., None]] = {"onnx": export_onnx}
"""Exporters by ``format``: ``exporter(loaded, path, opset=...)``."""


def export(cfg: DictConfig) -> ExportResult:
    """Export ``cfg.ckpt_path`` to ``cfg.output`` (default ``<output_dir>/model.onnx``) and check
    it against PyTorch; a failed check raises and leaves no file at the output path."""
    if cfg.format not in EXPORTERS:
        raise ConfigError(f"format={cfg.format!r}; supported: {list(EXPORTERS)}")
    loaded = load_model(cfg.ckpt_path, "cpu")
    final = Path(cfg.output) if cfg.output else Path(cfg.paths.output_dir) / "model.onnx"
    tmp = final.with_name(f".{final.name}.partial")
    try:
        EXPORTERS[cfg.format](loaded, tmp, opset=cfg.opset)
        worst = check_onnx_parity(
            tmp, loaded, n=cfg.check_batch, atol=cfg.atol, rtol=cfg.rtol, seed=cfg.seed
        )
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, final)
    log.info("wrote %s; onnxruntime matches PyTorch within %.2e", final, worst)
    return ExportResult(final, final.stat().st_size, cfg.check_batch, worst)
