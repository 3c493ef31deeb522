"""What rank 0 writes at the end of a training run: report, metrics.json, hparams, model card."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from crowdsign.evaluation.model_card import write_model_card
from crowdsign.evaluation.report import write_report
from crowdsign.runtime.tensorboard import RunLogger
from crowdsign.training.run import Fitted, RunData, RunSetup


def git_sha() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).parent,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def write_run_outputs(setup: RunSetup, data: RunData, fitted: Fitted, logger: RunLogger) -> None:
    """report.{json,md}, metrics.json, the TensorBoard test figures/hparams and the model card
    of a finished training run (rank 0)."""
    run, tested, class_names = setup.run, fitted.tested, data.splits.class_names
    best_epoch = tested.best_state["epoch"]
    write_report(
        run.root,
        title="Test report (best checkpoint)",
        metrics=tested.test,
        confusion=tested.confusion,
        class_names=class_names,
        context={"checkpoint": str(run.best), "split": "test", "best epoch": best_epoch},
    )
    logger.confusion("test/confusion", tested.confusion, class_names, best_epoch)
    run.write_json(
        run.metrics,
        {
            "metrics": fitted.metrics,
            "history": fitted.history,
            "git_sha": git_sha(),
            "class_names": list(class_names),
            "n_train": len(data.splits.train),
            "n_trained_on": int(data.targets.answered.sum()),
            "device": str(setup.device),
            "world_size": setup.dist.world_size,
            "selection": data.selection.record(),  # how the model was selected
        },
    )
    metrics = {k: v for k, v in fitted.metrics.items() if "/" in k}
    logger.hparams(flat_hparams(fitted.resolved), metrics)
    write_model_card(run.root)


def flat_hparams(resolved: dict) -> dict[str, Any]:
    keep = ("data", "crowd", "aggregate", "augment", "model", "optim", "trainer", "seed")
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            flat[prefix] = node

    walk("", {k: resolved[k] for k in keep if k in resolved})
    return flat
