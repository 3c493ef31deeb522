"""How long loading a million crowd answers takes (target: < 10 s).

    .venv/bin/python benchmarks/crowd_io.py [--answers 1000000] [--images 200000] [--repeat 3]

Writes a long CSV (``task, worker, label, seconds, reward, status, submitted_at``; k answers per
image from a heavy-tailed pool) into a temporary folder, then times
:func:`crowdsign.crowd.io.read_long` against the training split (references checked against
``image_id``, labels mapped to class names, duplicates checked) and without one.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsign.crowd.io import read_long, write_long
from crowdsign.crowd.pools import activity_weights, assign
from crowdsign.crowd.streams import image_keys
from crowdsign.data.imageset import ImageSet


def make_answers(n_answers: int, n_images: int, seed: int = 0) -> tuple[pd.DataFrame, ImageSet]:
    rng = np.random.default_rng(seed)
    k = max(1, n_answers // n_images)
    ids = np.array(
        [f"{'stop' if i % 3 == 0 else 'not_stop'}/img_{i:07d}.png" for i in range(n_images)]
    )
    keys = image_keys(ids, seed)  # per-image streams, as the simulated crowds draw them
    who = assign(keys, activity_weights(2000, 0.8, rng), k).reshape(-1)
    n = len(who)
    names = np.array(["stop", "not_stop", "Stop sign", "no"], dtype=object)
    answers = pd.DataFrame(
        {
            "task": np.repeat(ids, k),
            "worker": np.char.add("A1WORKER", who.astype(str)),
            "label": names[rng.choice(4, size=n, p=[0.4, 0.4, 0.1, 0.1])],
            "seconds": np.round(rng.gamma(2.0, 3.0, n), 3),
            "reward": 0.02,
            "status": np.where(rng.random(n) < 0.02, "rejected", "approved"),
            "submitted_at": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(np.sort(rng.integers(0, 86400 * 30, n)), unit="s"),
        }
    )
    images = ImageSet(
        images=np.zeros((n_images, 1, 1, 3), np.uint8),
        image_id=ids,
        group=np.arange(n_images),
        class_names=("not_stop", "stop"),
        truth=np.zeros(n_images, np.int64),
    )
    return answers, images


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--answers", type=int, default=1_000_000)
    p.add_argument("--images", type=int, default=200_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    answers, images = make_answers(args.answers, args.images)
    vocab = {"stop": ["Stop sign"], "not_stop": ["no"]}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_long(answers, Path(tmp) / "answers.csv")
        size = path.stat().st_size / 2**20
        print(f"{len(answers):,} answers, {args.images:,} images, {size:.0f} MiB CSV")
        for label, split in (("with the train split", images), ("standalone", None)):
            times, cpu = [], []
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                crowd = read_long(split, path=path, vocabulary=vocab)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            assert crowd.summary.kept == len(answers)
            t = np.array(times)
            print(
                f"read_long {label}: wall best {t.min():.2f} s, mean {t.mean():.2f} ± "
                f"{t.std():.2f} s over {len(t)} runs; CPU best {min(cpu):.2f} s "
                f"({len(answers) / t.min() / 1e6:.2f} M answers/s wall)"
            )


if __name__ == "__main__":
    main()
