"""Score a synthetic-trained binary checkpoint on real GTSRB photographs, by whole tracks.

    python benchmarks/synthetic_to_real.py --ckpt <run>/checkpoints/best.pt \\
        [--root ../shared/data/gtsrb] [--part tune|holdout|all] [--every 1] [--threshold 0.5]
        [--json out.json]

GTSRB's training files are named ``TTTTT_FFFFF.ppm`` (track, frame); a track is one physical
sign filmed over up to 30 frames. ``--part`` keeps whole tracks: ``tune`` is every track with an
even number in its class folder, ``holdout`` every odd one (per class, so each part has about half
of every class's tracks; class 14, stop: 13 tracks each). Tune the synthetic world on ``tune`` and
score ``holdout`` once. ``--every N`` keeps every N-th frame of each track (faster tuning; the
frames of a track are near-duplicates). The official test split, when the root has it, is
``--part test``.

Each file goes through the path ``predict.py`` uses: decode, the checkpoint's eval preset (resize
to its input size), the model, p(stop) = the softmax mass of its stop class. Printed: stop recall
and precision at ``--threshold``, AUROC of p(stop), and the false stops and misses by GTSRB class.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torchmetrics.functional.classification import binary_auroc

from crowdsign.augment import eval_preset
from crowdsign.data.assemble import POOL
from crowdsign.data.decode import read_image
from crowdsign.data.gtsrb import GTSRB_CLASSES, STOP_CLASS, list_gtsrb
from crowdsign.inference import load_model
from crowdsign.runtime.device import Precision
from crowdsign.runtime.scoring import predict_proba

PARTS = ("tune", "holdout", "all", "test")


def select(table: pd.DataFrame, part: str, every: int = 1) -> pd.DataFrame:
    """The rows of ``list_gtsrb``'s table in ``part`` (whole tracks), every ``every``-th frame."""
    if part == "test":
        rows = table[table["split"] != POOL]
    else:
        rows = table[(table["split"] == POOL) & (table["track"] >= 0)]
        if part in ("tune", "holdout"):
            rows = rows[(rows["track"] % 2) == (part == "holdout")]
        elif part != "all":
            raise ValueError(f"--part must be one of {PARTS}, got {part!r}")
        rows = rows[(rows["frame"] % every) == 0] if every > 1 else rows
    return rows.reset_index(drop=True)


def stop_probabilities(ckpt: str, paths: list[str], batch_size: int = 512) -> np.ndarray:
    """``(N,)`` p(stop) of the checkpoint for each file, as ``predict.py`` prepares files."""
    loaded = load_model(ckpt)
    if not loaded.has_stop:
        raise SystemExit(f"{ckpt} predicts {list(loaded.class_names)}: no stop class")
    preset = eval_preset(image_size=loaded.image_size)
    precision = Precision(torch.device("cpu"), None, False)
    out = []
    for start in range(0, len(paths), batch_size):
        batch = np.stack([preset(read_image(p), seed=0) for p in paths[start : start + batch_size]])
        with torch.inference_mode():
            probs = predict_proba(loaded.model, batch, precision=precision, batch_size=len(batch))
        out.append(loaded.stop_proba(probs.double()).numpy())
    return np.concatenate(out) if out else np.empty(0)


def score(class_id: np.ndarray, p_stop: np.ndarray, threshold: float) -> dict:
    """Stop recall / precision at ``threshold``, AUROC, and errors by GTSRB class."""
    is_stop = class_id == STOP_CLASS
    said = p_stop >= threshold
    tp = int((said & is_stop).sum())
    false = pd.Series(class_id[said & ~is_stop]).value_counts()
    return {
        "n_images": len(class_id),
        "n_stop": int(is_stop.sum()),
        "n_tracks_stop": None,
        "threshold": threshold,
        "stop_recall": tp / max(int(is_stop.sum()), 1),
        "stop_precision": tp / max(int(said.sum()), 1),
        "auroc": binary_auroc(torch.from_numpy(p_stop), torch.from_numpy(is_stop).long()).item(),
        "false_stops": int((said & ~is_stop).sum()),
        "missed_stops": int((~said & is_stop).sum()),
        "false_stops_by_class": {
            f"{int(c):02d} {GTSRB_CLASSES[int(c)]}": int(n) for c, n in false.items()
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--root", default="../shared/data/gtsrb")
    ap.add_argument("--part", default="holdout", choices=PARTS)
    ap.add_argument("--every", type=int, default=1, help="keep every N-th frame of a track")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--json", help="also write the figures (and per-file p_stop) here")
    args = ap.parse_args()
    try:
        rows = select(list_gtsrb(args.root), args.part, args.every)
        if rows.empty:
            raise ValueError(f"{args.root}: no GTSRB image in part {args.part!r}")
        t0 = time.perf_counter()
        p = stop_probabilities(args.ckpt, rows["path"].tolist())
    except (FileNotFoundError, ValueError) as e:  # a wrong path or checkpoint: one line, exit 2
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    result = score(rows["class_id"].to_numpy(), p, args.threshold)
    result["n_tracks_stop"] = int(rows.loc[rows["class_id"] == STOP_CLASS, "track"].nunique())
    result |= {"part": args.part, "every": args.every, "ckpt": args.ckpt, "root": args.root}
    print(
        f"{args.part} (every {args.every}): {result['n_images']} images, {result['n_stop']} stop "
        f"in {result['n_tracks_stop']} tracks; {time.perf_counter() - t0:.1f} s"
    )
    print(
        f"stop recall {result['stop_recall']:.3f}  precision {result['stop_precision']:.3f}  "
        f"AUROC {result['auroc']:.4f}  (threshold {args.threshold}: "
        f"{result['false_stops']} false stops, {result['missed_stops']} missed)"
    )
    for name, n in result["false_stops_by_class"].items():
        print(f"  false stop  {n:4d}  {name}")
    if args.json:
        files = rows.assign(p_stop=p)[["image_id", "class_id", "track", "p_stop"]]
        out = result | {"files": files.to_dict(orient="records")}
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
