"""Score GTSRB checkpoints on their test split and their dev-test tracks, before and after the
stored temperature: accuracy, ECE (15 bins), stop-sign precision/recall; one Markdown row each.

    python benchmarks/gtsrb_scores.py --ckpt <run>/checkpoints/best.pt [--ckpt ...]
        [--splits test devtest] [--threads 1]

The images reach the model exactly as ``evaluate.py`` prepares them (the checkpoint's own side,
contrast normalisation and temperature); "T = 1" runs the same network without the temperature.
Score the dev-test once, on the recipe you have chosen, never to choose one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir

from crowdsign.cli import CONFIG_DIR
from crowdsign.evaluation.evaluate import load_for_evaluation
from crowdsign.runtime.scoring import evaluate_split

COLUMNS = ("checkpoint", "split", "images", "accuracy", "ECE (T = 1)", "ECE (T)", "T")
STOP = ("stop recall", "stop precision")


def score(ckpt: str, split: str, threads: int) -> list[str]:
    with initialize_config_dir(CONFIG_DIR, version_base="1.3"):
        cfg = compose(
            "evaluate",
            [f"ckpt_path={ckpt}", f"split={split}", f"trainer.threads={threads}"],
            return_hydra_config=False,
        )
    loaded = load_for_evaluation(cfg)
    kw = {"precision": loaded.precision, "batch_size": 512, "preset": loaded.preset}
    calibrated, _, _ = evaluate_split(loaded.model, loaded.images, **kw)
    raw, _, _ = evaluate_split(loaded.model.model, loaded.images, **kw)
    return [
        Path(ckpt).parent.parent.name,
        split,
        str(len(loaded.images)),
        f"{calibrated['accuracy']:.4f}",
        f"{raw['ece']:.3f}",
        f"{calibrated['ece']:.3f}",
        f"{loaded.model.temperature:.3f}",
        f"{calibrated.get('stop_recall', float('nan')):.3f}",
        f"{calibrated.get('stop_precision', float('nan')):.3f}",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", action="append", required=True)
    parser.add_argument("--splits", nargs="+", default=["test", "devtest"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    header = (*COLUMNS, *STOP)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for ckpt in args.ckpt:
        for split in args.splits:
            print("| " + " | ".join(score(ckpt, split, args.threads)) + " |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
