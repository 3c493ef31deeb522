"""Write crowd exports to replay with ``label.py mode=replay`` (answers.csv + truth.csv).

    python benchmarks/replay_exports.py labelme --out /tmp/labelme       # the real LabelMe-AMT crowd
    python benchmarks/replay_exports.py synthetic --out /tmp/sim --seed 0 # crowd=realistic, 7 per image

``labelme`` turns the dense ``answers.txt`` (rows = ``filenames_train.txt``, one column per
worker, ``-1`` = not seen) into a long table ``task,worker,label`` with class names, and
``labels_train.txt`` into ``truth.csv``. ``synthetic`` lets the realistic simulated pool (30% bad
workers) label the 32 px synthetic world's train split (rendered once into ``data/cache``)
``--k`` times. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

LABELME_CLASSES = [
    "highway",
    "insidecity",
    "tallbuilding",
    "street",
    "forest",
    "coast",
    "mountain",
    "opencountry",
]


def labelme(root: Path, out: Path) -> None:
    answers = np.loadtxt(root / "answers.txt", dtype=np.int64)
    files = (root / "filenames_train.txt").read_text().split()
    truth = np.loadtxt(root / "labels_train.txt", dtype=np.int64)
    rows, cols = np.nonzero(answers >= 0)
    names = np.asarray(LABELME_CLASSES, dtype=object)
    long = pd.DataFrame(
        {
            "task": np.asarray(files, dtype=object)[rows],
            "worker": [f"amt{c:02d}" for c in cols],
            "label": names[answers[rows, cols]],
        }
    )
    long.to_csv(out / "answers.csv", index=False)
    pd.DataFrame({"task": files, "truth": names[truth]}).to_csv(out / "truth.csv", index=False)
    print(f"{len(long)} answers on {len(files)} images by {long.worker.nunique()} workers")


def synthetic(out: Path, seed: int, k: int, n: int) -> None:
    from crowdsign.crowd.simulate import simulate_crowd
    from crowdsign.data.synthetic import load_synthetic

    train = load_synthetic(
        task="binary", image_size=32, cache_dir="data/cache", decode_workers=1
    ).train
    train = train.subset(np.arange(min(n, len(train))))
    crowd = simulate_crowd(
        train,
        labels_per_image=k,
        reliable=0.45,
        average=0.30,
        sloppy=0.10,
        spammer=0.05,
        spammer_constant=0.02,
        adversarial=0.08,
        noise=0.3,
        seed=seed,
    )
    a = crowd.answers
    a.to_csv(out / "answers.csv", index=False)
    names = np.asarray(train.class_names, dtype=object)
    truth = pd.DataFrame({"task": train.image_id, "truth": names[train.truth]})
    truth.to_csv(out / "truth.csv", index=False)
    print(
        f"{len(a)} answers on {a.task.nunique()} images (crowd=realistic, noise 0.3, seed {seed})"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source", choices=["labelme", "synthetic"])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--root", type=Path, default=Path("../shared/data/labelme"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=7)
    p.add_argument("--n", type=int, default=2000, help="synthetic: the first n train images")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.source == "labelme":
        labelme(args.root, args.out)
    else:
        synthetic(args.out, args.seed, args.k, args.n)


if __name__ == "__main__":
    main()
