"""The run's ``crowd/`` folder: load summary and label-noise facts of the targets trained on."""

from __future__ import annotations

import json
from pathlib import Path

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.data.imageset import ImageSet
from crowdsign.training.targets import Targets


def write_crowd_outputs(
    out_dir: Path, images: ImageSet, crowd: CrowdLabels, targets: Targets
) -> dict[str, str]:
    """Write ``load_summary.{json,md}`` and ``targets.json``; return name → Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = crowd.summary
    (out_dir / "load_summary.json").write_text(json.dumps(summary.to_dict(), indent=2))
    md = summary.to_markdown()
    (out_dir / "load_summary.md").write_text(md)
    noise = targets.noise_rate(images.truth)
    facts = {
        "images": len(images),
        "answered_images": int(targets.answered.sum()),
        "answers": targets.codes.n_answers,
        "workers": targets.codes.n_workers,
        "aggregator": type(targets.estimator).__name__,
        "target_noise_vs_truth": noise,
    }
    (out_dir / "targets.json").write_text(json.dumps(facts, indent=2))
    facts_md = "\n".join(f"- {k}: {v}" for k, v in facts.items()) + "\n"
    return {"load_summary": md, "targets": facts_md}
