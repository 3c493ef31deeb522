"""Tiny sample exports of every format, written by the writers (``data/examples/``).

    python -m crowdsign.crowd.io.examples [out_dir]     # default: data/examples

Twelve images (``stop/...`` and ``not_stop/...``) labeled three times each by a small simulated
pool, with rewards, work times, submit times and one rejected assignment; the same answers in
every format, so the files double as reading examples and test fixtures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from crowdsign.crowd.io.labelstudio import write_labelstudio
from crowdsign.crowd.io.long import write_long
from crowdsign.crowd.io.mturk import write_mturk
from crowdsign.crowd.io.toloka import write_toloka
from crowdsign.crowd.simulate import simulate_crowd
from crowdsign.data.imageset import ImageSet

URL_PREFIX = "https://example-bucket.s3.amazonaws.com/signs/"
LOCAL_PREFIX = "/data/local-files/?d=signs/"
FILES = {
    "mturk": "mturk_batch_results.csv",
    "toloka": "toloka_assignments.tsv",
    "labelstudio": "labelstudio_export.json",
    "long": "answers_long.csv",
}
README = f"""# Sample crowd exports

The same 36 answers (12 images x 3 workers) in every format the `crowd` config group reads,
written by `python -m crowdsign.crowd.io.examples`. Image ids are `stop/stop_00N.png` and
`not_stop/other_00N.png`; read them back with

```python
from crowdsign.crowd.io import read_labelstudio, read_long, read_mturk, read_toloka

read_mturk(path="{FILES["mturk"]}", refs="strip_prefix", prefix="{URL_PREFIX}")
read_toloka(path="{FILES["toloka"]}", refs="strip_prefix", prefix="{URL_PREFIX}")
read_labelstudio(path="{FILES["labelstudio"]}", refs="strip_prefix", prefix="{LOCAL_PREFIX}")
read_long(path="{FILES["long"]}")
```

Label Studio has no reward or status, so its file carries task, worker, label, seconds and
submit time only.
"""


def example_images() -> ImageSet:
    """Twelve 1x1 images, half stop signs, ids like ``stop/stop_000.png``."""
    truth = np.array([1, 0] * 6)
    ids = [f"{'stop/stop' if t else 'not_stop/other'}_{i:03d}.png" for i, t in enumerate(truth)]
    return ImageSet(
        images=np.zeros((12, 1, 1, 3), np.uint8),
        image_id=np.asarray(ids),
        group=np.arange(12),
        class_names=("not_stop", "stop"),
        truth=truth,
    )


def example_answers(seed: int = 7) -> pd.DataFrame:
    """The sample answers: task, worker, label, seconds, reward, status, submitted_at."""
    crowd = simulate_crowd(
        example_images(), labels_per_image=3, n_workers=6, reliable=0.5, average=0.3,
        spammer=0.2, seed=seed,
    )  # fmt: skip
    a = crowd.answers.copy()
    rng = np.random.default_rng(seed)
    a["worker"] = a["worker"].str.replace("w", "A3EXAMPLE", regex=False)
    a["seconds"] = np.maximum(1.0, np.round(a["seconds"].to_numpy() * 3))  # whole seconds
    a["reward"] = 0.02
    a["status"] = np.where(np.arange(len(a)) == 4, "rejected", "approved")
    start = pd.Timestamp("2024-03-01 09:00:00", tz="UTC")
    gaps = pd.to_timedelta(np.cumsum(rng.integers(5, 60, len(a))), unit="s")
    a["submitted_at"] = (start + gaps).as_unit("us")
    return a


def write_examples(out_dir: str | Path = "data/examples") -> dict[str, Path]:
    """Write the four sample exports and a README into ``out_dir``; return format → path."""
    out = Path(out_dir)
    a = example_answers()
    paths = {
        "mturk": write_mturk(a, out / FILES["mturk"], prefix=URL_PREFIX),
        "toloka": write_toloka(a, out / FILES["toloka"], prefix=URL_PREFIX),
        "labelstudio": write_labelstudio(
            a.drop(columns=["reward", "status"]), out / FILES["labelstudio"], prefix=LOCAL_PREFIX
        ),
        "long": write_long(a, out / FILES["long"]),
    }
    (out / "README.md").write_text(README, encoding="utf-8")
    return paths


if __name__ == "__main__":
    for fmt, path in write_examples(*sys.argv[1:2]).items():
        print(f"{fmt:12s} {path}")
