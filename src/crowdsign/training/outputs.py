"""What rank 0 writes at the end of a run: report, metrics.json, hparams, model card."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig

from crowdsign.data.imageset import Splits
from crowdsign.evaluation.report import write_report
from crowdsign.inference.model_card import write_model_card
from crowdsign.runtime.tensorboard import RunLogger
from crowdsign.training.distributed import DistInfo
from crowdsign.training.targets import Targets


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


def write_run_outputs(
    out: Path,
    cfg: DictConfig,
    resolved: dict,
    metrics: dict[str, float],
    history: list,
    test: dict[str, float],
    confusion: torch.Tensor,
    best_state: dict,
    splits: Splits,
    targets: Targets,
    device: torch.device,
    dist: DistInfo,
    logger: RunLogger,
    extra: dict[str, Any] | None = None,
) -> None:
    """report.{json,md}, metrics.json and the TensorBoard test figures/hparams (rank 0).

    ``extra`` adds top-level entries to ``metrics.json`` (e.g. how the model was selected).
    """
    write_report(
        out,
        title="Test report (best checkpoint)",
        metrics=test,
        confusion=confusion,
        class_names=splits.class_names,
        context={
            "checkpoint": str(out / "checkpoints" / "best.pt"),
            "split": "test",
            "best epoch": best_state["epoch"],
        },
    )
    logger.confusion("test/confusion", confusion, splits.class_names, best_state["epoch"])
    (out / "metrics.json").write_text(
        json.dumps(
            {
                "metrics": metrics,
                "history": history,
                "git_sha": git_sha(),
                "class_names": list(splits.class_names),
                "n_train": len(splits.train),
                "n_trained_on": int(targets.answered.sum()),
                "device": str(device),
                "world_size": dist.world_size,
                **(extra or {}),
            },
            indent=2,
        )
    )
    logger.hparams(flat_hparams(resolved), {k: v for k, v in metrics.items() if "/" in k})
    write_model_card(out)


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
