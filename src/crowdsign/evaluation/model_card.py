"""``write_model_card(run_dir)``: the run's facts as ``model_card.md``, next to its checkpoints.

Every statement is read from the run's files (see :mod:`crowdsign.runtime.run_files`) or
derived from its config; a section whose file is absent says so in one line. The cost and
robustness tables come from :mod:`crowdsign.evaluation.card_tables`.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

from crowdsign.evaluation.card_tables import cost_section, robustness_section
from crowdsign.inference.model import stop_indices
from crowdsign.markdown import table
from crowdsign.runtime.run_files import RunFiles, read_run

log = logging.getLogger(__name__)

SOURCES = {  # data loader → what the images are
    "load_synthetic": "synthetic world rendered by crowdsign (no photographs)",
    "load_gtsrb": "GTSRB (German Traffic Sign Recognition Benchmark) sign crops",
    "load_folder": "an image-folder tree",
    "load_coco": "crops around COCO objects and background",
    "load_manifest": "images listed in a manifest",
}
DATA_KEYS = ("root", "path", "train_size", "split_fractions", "stop_fraction", "seed")
WORKER_SHARES = ("reliable", "average", "sloppy", "spammer", "spammer_constant", "adversarial")
METRICS = (  # report.json key → label
    ("accuracy", "accuracy"),
    ("balanced_accuracy", "balanced accuracy"),
    ("stop_precision", "stop precision"),
    ("stop_recall", "stop recall"),
    ("stop_f1", "stop F1"),
    ("stop_auroc", "stop AUROC"),
    ("ece", "expected calibration error"),
)


def _short(target: Any) -> str:
    return str(target).rsplit(".", 1)[-1] if target else "unknown"


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _kwargs(node: Any) -> str:
    """``a=1, b=2`` from a config node, without Hydra's underscore keys."""
    if not isinstance(node, dict):
        return ""
    return ", ".join(f"{k}={v}" for k, v in node.items() if not str(k).startswith("_"))


def _call(node: Any) -> str | None:
    """``Name(a=1, b=2)`` for an instantiable config node."""
    if not isinstance(node, dict):
        return None
    return f"{_short(node.get('_target_'))}({_kwargs(node)})"


def _task(run: RunFiles) -> list[str]:
    names = run.class_names
    stops = [names[i] for i in stop_indices(names, run.get("data", {}) or {})]
    size = run.get("data.image_size")
    items: list[str] = []
    items.append(
        f"Image classification, task `{run.get('data.task', 'unknown')}`, {len(names)} classes: "
        + ", ".join(f"`{c}`" for c in names)
        + "."
    )
    items.append(
        f"Stop-sign class: {', '.join(f'`{s}`' for s in stops)}."
        if stops
        else "No class of this task is a stop sign."
    )
    items.append(
        f"Input: one RGB image, stretched to {size}×{size} px (the eval preset); "
        "output: a probability per class."
    )
    return ["## Task and classes", "", *[f"- {i}" for i in items]]


def _data(run: RunFiles) -> list[str]:
    data = run.get("data", {}) or {}
    loader = _short(data.get("_target_"))
    lines = [
        "## Data",
        "",
        f"- Source: {SOURCES.get(loader, loader)}; loader `{data.get('_target_')}`.",
    ]
    details = [
        f"{k}={os.path.normpath(data[k]) if k in ('root', 'path') else data[k]}"
        for k in DATA_KEYS
        if data.get(k) is not None
    ]
    if details:
        lines.append("- Settings: " + ", ".join(details) + ".")
    history = run.metrics.get("history") or [{}]
    sizes = [
        ("train", run.metrics.get("n_train")),
        ("train, with a target (answered)", run.metrics.get("n_trained_on")),
        ("validation", history[-1].get("val/n")),
        ("test", run.report.get("metrics", {}).get("n")),
    ]
    rows = [[name, _fmt(int(n) if n is not None else None)] for name, n in sizes]
    lines += ["", *table(["split", "images"], rows)]
    confusion, names = run.report.get("confusion"), run.report.get("class_names", [])
    if confusion and len(names) == len(confusion):
        counts = ", ".join(f"{c} {sum(row)}" for c, row in zip(names, confusion, strict=True))
        lines += ["", f"Test images per class: {counts}."]
    return lines


def _labels(run: RunFiles) -> list[str]:
    crowd = run.get("crowd", {}) or {}
    target = _short(crowd.get("_target_"))
    items: list[str] = []
    source = run.load_summary.get("source")
    items.append(f"Crowd source: {source or target} (`{crowd.get('_target_')}`).")
    if target == "source_labels":
        items.append("No crowd: the model trained on the source's own labels.")
    shares = {k: crowd[k] for k in WORKER_SHARES if crowd.get(k)}
    if "n_workers" in crowd:
        pool = ", ".join(f"{k} {v}" for k, v in shares.items())
        items.append(
            f"Simulated pool of {crowd['n_workers']} workers"
            + (f" (type shares: {pool})" if pool else "")
            + f", {crowd.get('labels_per_image', '?')} labels per image."
        )
    elif crowd.get("path"):
        items.append(f"Export file: `{crowd['path']}`.")
    t = run.targets
    if t:
        per = t["answers"] / t["answered_images"] if t.get("answered_images") else None
        items.append(
            f"{t.get('answers')} answers from {t.get('workers')} workers on "
            f"{t.get('answered_images')} of {t.get('images')} training images "
            f"({_fmt(per, 2)} per answered image)."
        )
    dropped = run.load_summary.get("dropped") or {}
    if dropped:
        items.append(
            f"Loading read {run.load_summary.get('read')} answers and dropped "
            + ", ".join(f"{n} ({reason})" for reason, n in dropped.items())
            + "."
        )
    estimator = _short((run.get("aggregate.estimator") or {}).get("_target_"))
    items.append(
        f"Aggregation: {t.get('aggregator', estimator)}, "
        f"{run.get('robust.target') or run.get('aggregate.target', '?')} targets."
    )
    noise = t.get("target_noise_vs_truth") if t else None
    items.append(
        f"Estimated label noise: {noise:.1%} of the aggregated training targets differ from the "
        "source's truth labels."
        if isinstance(noise, int | float)
        else "Estimated label noise: unknown (no truth labels for the training images, or "
        "crowd/targets.json absent)."
    )
    return ["## How the training labels were obtained", "", *[f"- {i}" for i in items]]


def _training(run: RunFiles) -> list[str]:
    trainer = run.get("trainer", {}) or {}
    model = run.get("model", {}) or {}
    metrics = run.metrics.get("metrics", {})
    rows = [
        ("model", _call(model)),
        ("parameters", f"{run.n_params:,}" if run.n_params is not None else None),
        ("optimizer", _call(run.get("optim.optimizer"))),
        ("schedule", _call(run.get("optim.scheduler"))),
        ("epochs × batch size", f"{trainer.get('epochs')} × {trainer.get('batch_size')}"),
        ("max steps", trainer.get("max_steps") or None),
        ("label smoothing", run.get("robust.label_smoothing", trainer.get("label_smoothing"))),
        ("augmentation", f"preset {run.get('augment.preset')}, hflip {run.get('augment.hflip')}"),
        ("precision", trainer.get("precision")),
        ("device", run.metrics.get("device")),
        ("processes", run.metrics.get("world_size")),
        ("seed", run.get("seed")),
        ("model selection (best epoch)", _selection(run.metrics.get("selection"))),
        ("checkpoint", f"{run.checkpoint} (epoch {run.epoch})" if run.checkpoint else None),
        (
            "training time",
            f"{metrics['time/train_s']:.0f} s" if "time/train_s" in metrics else None,
        ),
        ("git commit", run.metrics.get("git_sha")),
    ]
    shown = [[name, value] for name, value in rows if value not in (None, "")]
    return ["## Training setup", "", *table(["", ""], shown, align="ll")]


def _selection(record: Any) -> str | None:
    """``by`` (images): note; runs from before selection was recorded picked on val truth."""
    if not isinstance(record, dict):
        return None
    return f"{record.get('by')} ({record.get('images')} validation images): {record.get('note')}"


def _interval(metrics: dict, key: str) -> str:
    """`` [lo, hi]``: the 95% Wilson interval stored beside a proportion, if any."""
    lo, hi = metrics.get(f"{key}_lo"), metrics.get(f"{key}_hi")
    if not isinstance(lo, int | float) or not isinstance(hi, int | float) or lo != lo:
        return ""
    return f" [{lo:.3f}, {hi:.3f}] (95% Wilson)"


def _metrics(run: RunFiles) -> list[str]:
    lines = ["## Test metrics", ""]
    metrics = run.report.get("metrics") or {
        k.removeprefix("test/"): v
        for k, v in run.metrics.get("metrics", {}).items()
        if k.startswith("test/")
    }
    if not metrics:
        return [*lines, "No test metrics (report.json and metrics.json absent)."]
    n = metrics.get("n")
    lines.append(
        f"Best checkpoint on the test split ({_fmt(int(n) if n else None)} images), scored "
        f"against truth; one training run (seed {run.get('seed')}), so no spread over seeds."
    )
    rows = [
        [label, f"{_fmt(metrics[k])}{_interval(metrics, k)}"]
        for k, label in METRICS
        if k in metrics
    ]
    lines += ["", *table(["metric", "value"], rows)]
    confusion, names = run.report.get("confusion"), run.report.get("class_names", [])
    if confusion and len(names) == len(confusion) <= 10:
        lines += ["", "Confusion (rows: truth, columns: prediction):", ""]
        lines += table(["", *names], [[n, *r] for n, r in zip(names, confusion, strict=True)])
    return lines


def _limits(run: RunFiles) -> list[str]:
    data = run.get("data", {}) or {}
    loader = _short(data.get("_target_"))
    size = data.get("image_size")
    items = []
    if loader == "load_synthetic":
        items.append(
            "Trained and tested only on synthetic rendered images: no photograph was seen, and "
            "the test accuracy says nothing about real cameras."
        )
    else:
        items.append(
            f"Trained and tested on one source ({SOURCES.get(loader, loader)}): the test split "
            "comes from the same source, so accuracy on other sources is not measured."
        )
    if loader == "load_gtsrb":
        items.append("GTSRB holds German signs, cropped around the sign.")
    items.append(
        "Unseen sign designs: only the stop-sign designs in the training source were seen; "
        "other countries' stop signs (other shapes, text or colours) were not."
    )
    items.append(
        f"A whole-image classifier at {size}×{size} px: no localisation; an image is stretched "
        "to a square, so a small sign in a large scene is mostly background."
    )
    crowd_target = _short(run.get("crowd._target_"))
    if crowd_target.startswith("simulate"):
        items.append(
            "The training labels are simulated (no person labeled these images); label noise "
            "and cost figures describe the simulation, not a real crowd."
        )
    noise = run.targets.get("target_noise_vs_truth")
    if isinstance(noise, int | float) and noise > 0:
        items.append(f"{noise:.1%} of the training targets are wrong with respect to truth.")
    if run.get("augment.hflip"):
        items.append("Trained with horizontal flips: mirrored STOP lettering counts as stop.")
    n_train = run.metrics.get("n_train")
    if isinstance(n_train, int) and n_train < 1000:
        items.append(f"Small training set: {n_train} images.")
    test = run.report.get("metrics", {})
    if test.get("stop_recall") == 0.0:
        items.append("The model never predicts stop on the test split (stop recall 0).")
    if not run.robustness and not run.robustness_md:
        items.append("Robustness to corruptions (weather, blur, fading...) is not measured here.")
    return ["## Known limits", "", *[f"- {item}" for item in items]]


def render_model_card(run: RunFiles) -> str:
    """The Markdown of the card for ``run``."""
    model = _short(run.get("model._target_"))
    head = [
        f"# Model card: {model}, {run.get('data.task', '')} stop-sign classifier".replace(
            ", ,", ","
        ),
        "",
        f"Run directory `{run.run_dir.resolve()}`.",
    ]
    sections = [
        head,
        _task(run),
        _data(run),
        _labels(run),
        cost_section(run.cost),
        _training(run),
        _metrics(run),
        robustness_section(run.robustness, run.robustness_md),
        _limits(run),
    ]
    if run.missing:
        sections.append(
            ["## Files not found in the run", "", *[f"- {m}" for m in sorted(run.missing)]]
        )
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"


def write_model_card(run_dir: Path) -> str:
    """Read the run in ``run_dir``, write ``run_dir/model_card.md``, return its Markdown.

    Missing optional files (crowd reports, cost, robustness) shorten the card, never fail it.

    Raises:
        FileNotFoundError: ``run_dir`` does not exist.
        ValueError: ``run_dir`` has neither a checkpoint nor a Hydra config.
    """
    run_dir = Path(run_dir)
    md = render_model_card(read_run(run_dir))
    (run_dir / "model_card.md").write_text(md, encoding="utf-8")
    log.info("wrote %s", run_dir / "model_card.md")
    return md
