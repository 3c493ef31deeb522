"""The run's ``crowd/`` folder: load summary, cost, worker statistics and quality, targets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.reports import write_crowd_reports
from crowdsign.crowd.workers import worker_report, write_worker_report
from crowdsign.data.imageset import ImageSet
from crowdsign.training.targets import Targets


def write_crowd_outputs(
    out_dir: Path, images: ImageSet, crowd: CrowdLabels, targets: Targets
) -> dict[str, str]:
    """Write the crowd reports of one run; return name → Markdown for TensorBoard text.

    - ``load_summary``, ``workers`` (answers per worker, accuracy vs truth) and ``cost``;
    - ``aggregate/workers`` — the aggregator's view: estimated accuracy, agreement, spam score
      and flags with their evidence;
    - ``targets.json`` — how noisy the aggregated targets are against truth.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = None
    if images.truth is not None:
        names = pd.Series(images.class_names).to_numpy()[images.truth]
        truth = pd.Series(names, index=pd.Index(images.image_id, name="task"))
    texts = write_crowd_reports(crowd, out_dir, truth=truth)
    quality = worker_report(targets.codes, targets.estimator, simulated=crowd.workers)
    texts["worker_quality"] = write_worker_report(quality, out_dir / "aggregate")
    facts = {
        "images": len(images),
        "answered_images": int(targets.answered.sum()),
        "answers": targets.codes.n_answers,
        "workers": targets.codes.n_workers,
        "aggregator": type(targets.estimator).__name__,
        "target_noise_vs_truth": targets.noise_rate(images.truth),
        "gold_tasks": targets.gold_tasks,
        "excluded_workers": list(targets.excluded),
    }
    (out_dir / "targets.json").write_text(json.dumps(facts, indent=2))
    texts["targets"] = "\n".join(f"- {k}: {v}" for k, v in facts.items()) + "\n"
    return texts
