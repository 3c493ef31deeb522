"""Replay strategy variants on simulated (or real) exports and print the ≤ 60% goal per seed.

    python benchmarks/adaptive_variants.py --exports /tmp/sim{seed} --seeds 0 1 2 \\
        --variant base route=random --variant thompson route=thompson

Each ``--variant NAME key=value ...`` is an :class:`AdaptiveStrategy`; for every seed ``s`` the
export ``<exports with {seed} = s>/answers.csv`` (+ ``truth.csv``) is replayed with replay seed
``s`` (Dawid–Skene, batches of ``--batch``) against uniform in random order, and the script
prints, per variant: the share of uniform k = 3's answers adaptive needs to reach uniform
k = 3's label accuracy (first point of the grid at or above it), the label accuracy at a few
budgets (mean ± std over seeds) and where the answers went at ``--where`` answers per image.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from crowdsign.crowd.active import AdaptiveStrategy, LoopSetup, ReplayOracle, UniformStrategy
from crowdsign.crowd.active.loop import run_loop
from crowdsign.crowd.aggregate import DawidSkene


def _load(root: Path) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    export = pd.read_csv(root / "answers.csv", dtype={"task": str, "worker": str, "label": str})
    truth = pd.read_csv(root / "truth.csv", dtype=str).set_index("task")["truth"]
    tasks = np.asarray(pd.unique(export["task"]), dtype=object)
    classes = np.asarray(sorted(set(export["label"]) | set(truth)), dtype=object)
    code = pd.Index(classes).get_indexer(truth.reindex(tasks).fillna("").to_numpy())
    return export, tasks, classes, code


def _run(strategy, export, tasks, classes, code, grid, batch, seed):
    setup = LoopSetup(tasks, classes, lambda: DawidSkene(accuracy_prior=1.0), truth=code)
    oracle = ReplayOracle(export, tasks, seed=seed)
    marks = [int(round(b * len(tasks))) for b in grid]
    res = run_loop(setup, strategy, oracle, checkpoints=marks, batch_size=batch, seed=seed)
    return res


def _where(res, code, per_task: float, n: int) -> str:
    """Answers per image and the share wrong among images with that many, at ``per_task``."""
    from crowdsign.crowd.active.assess import assess

    bought = res.answers.iloc[: int(round(per_task * n))]
    a = assess(bought, res.last.tasks, res.last.classes, DawidSkene(accuracy_prior=1.0))
    parts = []
    for c in (0, 1, 2, 3):
        sel = a.n_answers == c if c < 3 else a.n_answers >= 3
        wrong = float(((a.labels != code) | (a.n_answers == 0))[sel].mean()) if sel.any() else 0
        parts.append(f"{c}{'+' if c == 3 else ''}: {int(sel.sum())} ({wrong:.1%} wrong)")
    return "; ".join(parts)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--exports", required=True, help="folder pattern with {seed}")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--variant", nargs="+", action="append", required=True)
    p.add_argument("--top", type=float, default=3.0)
    p.add_argument("--step", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--where", type=float, default=1.8)
    p.add_argument("--show", type=float, nargs="+", default=[1.0, 1.5, 1.8, 2.0, 2.4, 3.0])
    args = p.parse_args()
    grid = np.round(np.arange(1.0, args.top + 1e-9, args.step), 6)
    data = {s: _load(Path(args.exports.format(seed=s))) for s in args.seeds}
    uni = {}
    for s, (export, tasks, classes, code) in data.items():
        res = _run(UniformStrategy(), export, tasks, classes, code, grid, args.batch, s)
        uni[s] = res.history.set_index("budget")["label_accuracy"].to_numpy()
    k3 = int(np.argmin(np.abs(grid - 3.0)))
    print("uniform k=3:", [round(float(uni[s][k3]), 4) for s in args.seeds])
    for v in args.variant:
        name, kv = v[0], dict(x.split("=", 1) for x in v[1:])
        params = {k: yaml.safe_load(x) for k, x in kv.items()}
        t0, shares, accs, where = time.process_time(), [], [], []
        for s, (export, tasks, classes, code) in data.items():
            res = _run(
                AdaptiveStrategy(**params), export, tasks, classes, code, grid, args.batch, s
            )
            acc = res.history["label_accuracy"].to_numpy()
            hit = np.flatnonzero(acc >= uni[s][k3] - 1e-12)
            shares.append(grid[hit[0]] / 3.0 if len(hit) else np.nan)
            accs.append(acc)
            where.append(_where(res, code, args.where, len(tasks)))
        accs = np.asarray(accs)
        sh = np.asarray(shares)
        show = " | ".join(
            f"{b:g}: {accs[:, i].mean():.3f}±{accs[:, i].std():.3f}"
            for b in args.show
            for i in [int(np.argmin(np.abs(grid - b)))]
        )
        print(
            f"{name}: share {np.nanmean(sh):.3f}±{np.nanstd(sh):.3f} {np.round(sh, 2).tolist()} "
            f"| {show} | cpu {time.process_time() - t0:.0f}s"
        )
        for s, w in zip(args.seeds, where, strict=True):
            print(f"    seed {s} at {args.where}/image: {w}")


if __name__ == "__main__":
    main()
