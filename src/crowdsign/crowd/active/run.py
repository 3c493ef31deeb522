"""``label.py``: the next batch to buy (``mode=next``) or a replay of a past export (``mode=replay``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

from crowdsign.crowd.active.batch import next_batch
from crowdsign.crowd.active.errors import LabelError
from crowdsign.crowd.active.replay import budget_grid, goal, read_truth, replay, summarise
from crowdsign.crowd.active.report import (
    replay_figure,
    replay_markdown,
    write_next_batch,
)
from crowdsign.crowd.active.strategy import AdaptiveStrategy
from crowdsign.crowd.active.upload import platforms_for, write_upload
from crowdsign.crowd.cost import as_cost_model
from crowdsign.data.load import load_splits

log = logging.getLogger(__name__)


def run_label(cfg: DictConfig) -> dict[str, Any]:
    """Run the configured mode; return what it wrote (name → path) and its notes."""
    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.mode == "next":
        return _next(cfg, out)
    if cfg.mode == "replay":
        return _replay(cfg, out)
    raise LabelError(f"mode={cfg.mode!r}: use mode=next (the next batch) or mode=replay")


def _strategy(node: Any) -> Any:
    """The configured strategy; a bad value (e.g. ``strategy.route``) is a LabelError."""
    try:
        return instantiate(node)
    except InstantiationException as e:
        cause = e.__cause__ if isinstance(e.__cause__, ValueError) else e
        raise LabelError(str(cause).splitlines()[0]) from None


def _model_probs(path: str, tasks: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """A predict.py ``predictions.csv`` as ``(T, K)`` probabilities (uniform where missing)."""
    try:
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise LabelError(f"predictions={path}: cannot read it ({type(e).__name__})") from None
    if not {"path", "predicted", "confidence"} <= set(frame.columns):
        raise LabelError(f"predictions={path}: needs columns path, predicted, confidence")
    k = len(classes)
    ids = pd.Series(range(len(tasks)), index=pd.Index(tasks).astype(str))
    probs = np.full((len(tasks), k), 1.0 / k)
    for r in frame.itertuples():
        key = next((t for t in _suffixes(str(r.path)) if t in ids.index), None)
        if key is None or r.predicted not in set(classes):
            continue
        c = int(np.flatnonzero(classes == r.predicted)[0])
        row = np.full(k, (1 - r.confidence) / max(k - 1, 1))
        row[c] = r.confidence
        probs[ids[key]] = row
    return probs


def _suffixes(path: str) -> list[str]:
    parts = path.replace("\\", "/").split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


def _next(cfg: DictConfig, out: Path) -> dict[str, Any]:
    if cfg.data is None:
        raise LabelError("mode=next needs the images: give data=<source> (e.g. data=folder)")
    images = load_splits(cfg.data).train
    crowd = instantiate(cfg.crowd)(images)
    tasks = np.asarray(images.image_id, dtype=object)
    classes = np.asarray(images.class_names, dtype=object)
    probs = None if cfg.predictions is None else _model_probs(cfg.predictions, tasks, classes)
    cost = as_cost_model(crowd.cost)
    nb = next_batch(
        tasks,
        classes,
        crowd.answers,
        estimator=instantiate(cfg.aggregate.estimator),
        strategy=_strategy(cfg.strategy),
        cost=cost,
        dollars=cfg.budget.dollars,
        size=cfg.batch.size,
        model_probs=probs,
        seed=cfg.seed,
    )
    written = {"next_batch": write_next_batch(nb, crowd.answers, out, cfg.budget.dollars)}
    if len(nb.plan):
        for platform in platforms_for(cfg.batch.platform, cfg.crowd.get("_target_", "")):
            for path in write_upload(nb.plan, out, platform, cfg.batch.url_prefix):
                written[path.stem] = path
    wanted = int(nb.plan["wanted"].sum()) if len(nb.plan) else 0
    c = nb.cost
    print(
        f"next batch: {wanted} answers for {len(nb.plan)} images; cost "
        f"{'unknown' if c is None or c.total is None else f'${c.total:.2f}'} at the "
        f"configured pay, {'unknown' if c is None or c.fair_total is None else f'${c.fair_total:.2f}'}"
        f" at the fair wage\n  " + "\n  ".join(f"{p}" for p in written.values())
    )
    for note in nb.notes:
        print(f"note: {note}")
    return {"written": written, "notes": nb.notes, "batch": nb}


def _replay(cfg: DictConfig, out: Path) -> dict[str, Any]:
    images = None if cfg.data is None else load_splits(cfg.data).train
    crowd = instantiate(cfg.crowd)(images)
    export = crowd.answers
    if export.empty:
        raise LabelError(f"crowd.path={cfg.crowd.get('path')}: no answers to replay")
    notes: list[str] = []
    tasks = np.asarray(pd.unique(export["task"]), dtype=object)
    truth = None if cfg.truth is None else read_truth(cfg.truth, tasks, notes)
    strategy = _strategy(cfg.strategy)
    strategies = {"uniform": instantiate({"_target_": "crowdsign.crowd.active.UniformStrategy"})}
    if isinstance(strategy, AdaptiveStrategy):
        strategies = {"adaptive": strategy, **strategies}
    strategies["uniform"].max_per_task = strategy.max_per_task
    rows = replay(
        export,
        truth,
        strategies=strategies,
        make_estimator=lambda: instantiate(cfg.aggregate.estimator),
        budgets=budget_grid(cfg.budget.answers_per_task, cfg.budget.grid_step),
        batch_size=cfg.batch.size,
        seeds=list(cfg.seeds),
        cost=as_cost_model(crowd.cost),
        notes=notes,
    )
    summary = summarise(rows)
    rows.to_csv(out / "replay_runs.csv", index=False)
    summary.to_csv(out / "replay.csv", index=False)
    target = goal(summary) if truth is not None and "adaptive" in strategies else {}
    (out / "replay.md").write_text(replay_markdown(summary, target, notes), encoding="utf-8")
    title = f"replay of {Path(str(cfg.crowd.get('path', 'the crowd'))).name} ({len(tasks)} images)"
    replay_figure(summary, out / "replay.png", title)
    print(f"replay: {out / 'replay.csv'}\n  {out / 'replay.md'}\n  {out / 'replay.png'}")
    for note in notes:
        print(f"note: {note}")
    return {"summary": summary, "goal": target, "notes": notes}
