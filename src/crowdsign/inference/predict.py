"""``predict(cfg)``: classify image files with a checkpoint, streaming, never stopping on a bad file.

Files are decoded and resized by a thread pool one batch ahead of the model, so memory holds two
batches of model-size images (plus one full-size decode per thread) whatever the folder size.
Each batch's rows are written as soon as it is scored; unreadable files are reported (log and
``skipped.csv`` / the JSON's ``skipped``) and skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig
from tqdm import tqdm

from crowdsign.augment import Preset
from crowdsign.data.decode import BadImageError, read_image, worker_count
from crowdsign.errors import ConfigError
from crowdsign.inference.contact_sheet import ExtremeStops, render_sheet
from crowdsign.inference.inputs import resolve_inputs
from crowdsign.inference.model import LoadedModel, load_model
from crowdsign.inference.writers import WRITERS, Prediction
from crowdsign.runtime.device import Precision, configure_threads, resolve_device, resolve_precision
from crowdsign.runtime.scoring import predict_proba

log = logging.getLogger(__name__)

MAX_SKIP_WARNINGS = 10  # log this many unreadable files one by one, then only count them


@dataclass
class PredictResult:
    """What a ``predict`` call wrote and what it skipped."""

    output: Path
    sheet: Path | None
    n_predicted: int
    n_stop: int | None  # None: the checkpoint's task has no stop class
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def _decoder(loaded: LoadedModel) -> Callable[[str], np.ndarray | BadImageError]:
    """``decode(path)`` → ``(S, S, 3)`` uint8 through the checkpoint's eval preset, or the
    error (never raised, so one bad file cannot stop the stream). One preset per thread:
    presets hold RNGs."""
    local = threading.local()

    def decode(path: str) -> np.ndarray | BadImageError:
        preset: Preset | None = getattr(local, "preset", None)
        if preset is None:
            preset = local.preset = loaded.eval_preset()
        try:
            return preset(read_image(path), seed=0)
        except BadImageError as e:
            return e
        except Exception as e:  # a decoder bug or a resize failure on one odd file
            return BadImageError(path, f"{type(e).__name__}: {e}")

    return decode


def _gather(
    current: list[tuple[str, Future]], on_skip: Callable[[str, str], None] | None
) -> tuple[list[str], list[np.ndarray]]:
    """The decoded images of a batch and their paths; unreadable files go to ``on_skip``."""
    kept, images = [], []
    for path, future in current:
        result = future.result()
        if isinstance(result, BadImageError):
            if on_skip is not None:
                on_skip(path, result.reason)
        else:
            kept.append(path)
            images.append(result)
    return kept, images


def _predictions(
    loaded: LoadedModel, paths: list[str], probs: torch.Tensor, threshold: float | None
) -> list[Prediction]:
    """One :class:`Prediction` per row of ``probs`` ``(B, C)``."""
    stop_set = set(loaded.stop_indices)
    confidence, index = probs.max(1)
    p_stop = loaded.stop_proba(probs).tolist() if stop_set else [None] * len(paths)
    rows = []
    for i, path in enumerate(paths):
        if p_stop[i] is None:
            stop = None
        elif threshold is None:
            stop = int(index[i]) in stop_set
        else:
            stop = p_stop[i] >= threshold
        rows.append(
            Prediction(
                path=path,
                predicted=loaded.class_names[int(index[i])],
                confidence=float(confidence[i]),
                p_stop=p_stop[i],
                stop=stop,
            )
        )
    return rows


def iter_predictions(
    loaded: LoadedModel,
    paths: Sequence[str],
    *,
    precision: Precision,
    batch_size: int,
    threshold: float | None = None,
    workers: int = 0,
    progress: bool = False,
    on_skip: Callable[[str, str], None] | None = None,
) -> Iterator[tuple[list[Prediction], np.ndarray]]:
    """Yield ``(predictions, images)`` per batch: ``images`` ``(B, S, S, 3)`` uint8 as the model
    saw them (after the eval preset; probabilities are calibrated by the checkpoint's
    temperature, inside ``loaded.model``). Unreadable files go to ``on_skip(path, reason)`` and are left out.

    ``stop`` is ``p_stop >= threshold`` when a threshold is given, else whether the argmax
    class is a stop class; both ``p_stop`` and ``stop`` are ``None`` for a task without stop.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    decode = _decoder(loaded)
    # disable=None: a bar only when stderr is a terminal
    bar = tqdm(total=len(paths), desc="predict", unit="img", disable=None if progress else True)
    pool = ThreadPoolExecutor(min(worker_count(workers), len(paths) or 1))
    try:

        def submit(start: int) -> list[tuple[str, Future]]:
            return [(p, pool.submit(decode, p)) for p in paths[start : start + batch_size]]

        ahead = submit(0)
        for start in range(0, len(paths), batch_size):
            current, ahead = ahead, submit(start + batch_size)  # decode the next batch meanwhile
            kept, images = _gather(current, on_skip)
            bar.update(len(current))
            if not images:
                continue
            batch = np.stack(images)
            probs = predict_proba(
                loaded.model, batch, precision=precision, batch_size=len(batch)
            ).double()
            rows = _predictions(loaded, kept, probs, threshold)
            yield rows, batch
    finally:
        pool.shutdown(cancel_futures=True)
        bar.close()


def _threshold(threshold: float | None, loaded: LoadedModel) -> float | None:
    """The asked threshold, else the operating point stored at training (None: argmax)."""
    if threshold is None and loaded.has_stop:
        threshold = loaded.threshold
    if threshold is not None and not loaded.has_stop:
        raise ConfigError(
            f"threshold={threshold} asks for a stop/not-stop decision, but checkpoint "
            f"{loaded.path} predicts {list(loaded.class_names)}, none of which is a stop sign; "
            "leave threshold unset to get its argmax class"
        )
    return threshold


def predict(cfg: DictConfig) -> PredictResult:
    """Classify ``cfg.inputs`` with ``cfg.ckpt_path``; write predictions and a contact sheet
    into ``cfg.paths.output_dir``."""
    if cfg.output_format not in WRITERS:
        raise ConfigError(f"output_format={cfg.output_format!r}; expected one of {list(WRITERS)}")
    if cfg.threshold is not None and not 0.0 <= cfg.threshold <= 1.0:
        raise ConfigError(f"threshold={cfg.threshold} must lie in [0, 1] (a probability of stop)")
    device = resolve_device(cfg.trainer.device)
    configure_threads(cfg.trainer.threads, device)
    precision = resolve_precision(cfg.trainer, device)
    loaded = load_model(cfg.ckpt_path, device)
    threshold = _threshold(cfg.threshold, loaded)
    paths = resolve_inputs(cfg.inputs)
    log.info("predicting %d file(s) with %s (%s)", len(paths), loaded.path, device)

    out = Path(cfg.paths.output_dir)
    writer = WRITERS[cfg.output_format](out, loaded=loaded, threshold=threshold)
    extremes = ExtremeStops(k=cfg.sheet_size)
    skipped: list[tuple[str, str]] = []
    n_predicted, n_stop = 0, 0

    def on_skip(path: str, reason: str) -> None:
        skipped.append((path, reason))
        writer.skip(path, reason)
        if len(skipped) <= MAX_SKIP_WARNINGS:
            log.warning("skipped unreadable file %s: %s", path, reason)

    try:
        for rows, images in iter_predictions(
            loaded,
            paths,
            precision=precision,
            batch_size=cfg.trainer.eval_batch_size,
            threshold=threshold,
            workers=cfg.decode_workers,
            progress=cfg.trainer.progress,
            on_skip=on_skip,
        ):
            writer.write(rows)
            n_predicted += len(rows)
            for row, image in zip(rows, images, strict=True):
                if row.stop:
                    n_stop += 1
                    extremes.add(row.p_stop, row.path, image)
    finally:
        output = writer.close()
    if len(skipped) > MAX_SKIP_WARNINGS:
        log.warning("skipped %d unreadable files in all; see %s", len(skipped), writer.skip_path)
    sheet = render_sheet(extremes, out / "contact_sheet.png") if cfg.sheet_size > 0 else None
    return PredictResult(
        output=output,
        sheet=sheet,
        n_predicted=n_predicted,
        n_stop=n_stop if loaded.has_stop else None,
        skipped=skipped,
    )
