"""``crowd=matrix``: dense answer matrices the tests write (crowdsign.crowd.io.matrix)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdsign.crowd.io import CrowdFormatError
from crowdsign.crowd.io.matrix import read_matrix
from crowdsign.data.folder import load_folder

CLASSES = ["b", "a"]  # the release's order differs from the data's sorted folder names
MATRIX = """\
-1 1 0
0 -1 -1
1 1 1
-1 -1 0
0 0 -1
1 -1 0
"""


def write_set(root: Path, matrix: str = MATRIX, names: int = 6) -> tuple[Path, Path, Path]:
    """A 6-image ``images/{train,valid,test}/<class>/`` tree, ``answers.txt`` and its file
    list (image i is class ``a`` when i is even)."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("valid", 2), ("test", 2)):
        for i in range(n):
            folder = root / "images" / split / ("a" if i % 2 == 0 else "b")
            folder.mkdir(parents=True, exist_ok=True)
            pixels = rng.integers(0, 255, size=(8, 8, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{split}{i}.png")
    (root / "answers.txt").write_text(matrix)
    files = "".join(f"train{i}.png\n" for i in range(names))
    (root / "files.txt").write_text(files)
    return root / "images", root / "answers.txt", root / "files.txt"


def splits_and_read(tmp_path: Path, matrix: str = MATRIX, names: int = 6, **kw):
    images, answers, files = write_set(tmp_path / "set", matrix, names)
    splits = load_folder(
        root=str(images),
        cache_dir=str(tmp_path / "cache"),
        image_size=8,
        decode_workers=1,
        task="multiclass",
    )
    crowd = read_matrix(
        splits.train, path=answers, file_list=files, classes=CLASSES, image_root=str(images), **kw
    )
    return splits, crowd


def test_matrix_reads_answers_and_valid_is_the_validation_split(tmp_path):
    splits, crowd = splits_and_read(tmp_path)
    assert len(splits.train) == 6 and len(splits.val) == 2 and len(splits.test) == 2
    assert all(i.startswith("valid/") for i in splits.val.image_id)
    a = crowd.answers
    assert len(a) == 11 and crowd.summary.read == 11 and crowd.summary.kept == 11
    # row 1: column 2 answered index 1 -> "a", column 3 index 0 -> "b"; ids are the folder ids
    row1 = a[a["task"] == "train/a/train0.png"].set_index("worker")["label"].to_dict()
    assert row1 == {"2": "a", "3": "b"}
    assert set(a["worker"]) == {"1", "2", "3"}


@pytest.mark.parametrize(
    ("matrix", "names", "needle"),
    [
        (MATRIX, 5, "6 rows, but the file list"),
        (MATRIX.replace("0 0 -1", "0 9 -1"), 6, "row 5, column 2: value outside the classes: 9"),
        (MATRIX.replace("1 1 1", "1 x 1"), 6, "row 3, column 2: non-integer cell: 'x'"),
        (MATRIX.replace("1 1 1", "1 1.5 1"), 6, "row 3, column 2: non-integer cell"),
        (MATRIX.replace("0 -1 -1", "0 -1"), 6, "row 2: 2 cells, but row 1 has 3"),
    ],
)
def test_matrix_errors_name_file_row_and_column(tmp_path, matrix, names, needle):
    with pytest.raises(CrowdFormatError) as err:
        splits_and_read(tmp_path, matrix, names)
    message = str(err.value)
    assert "answers.txt" in message and needle in message
    assert "\n" not in message


def test_matrix_skip_drops_and_counts_bad_cells(tmp_path):
    matrix = MATRIX.replace("1 1 1", "1 x 1").replace("0 0 -1", "0 9 -1")
    _, crowd = splits_and_read(tmp_path, matrix, on_error="skip")
    assert crowd.summary.dropped == {"non-integer cell": 1, "value outside the classes": 1}
    assert crowd.summary.kept == 9
    assert any("row 3, column 2" in e for e in crowd.summary.examples["non-integer cell"])


def test_matrix_without_classes_indexes_the_data_classes(tmp_path):
    images, answers, files = write_set(tmp_path / "set")
    splits = load_folder(
        root=str(images),
        cache_dir=str(tmp_path / "cache"),
        image_size=8,
        decode_workers=1,
        task="multiclass",
    )
    crowd = read_matrix(splits.train, path=answers, file_list=files)
    row1 = crowd.answers[crowd.answers["task"] == "train/a/train0.png"]
    assert dict(zip(row1["worker"], row1["label"], strict=True)) == {"2": "b", "3": "a"}


def test_train_with_a_bad_matrix_exits_2_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    images, answers, files = write_set(tmp_path / "set", MATRIX.replace("1 1 1", "1 x 1"))
    repo = Path(__file__).resolve().parents[1]
    cmd = [
        sys.executable,
        str(repo / "train.py"),
        "task=multiclass",
        "data=folder",
        f"data.root={images}",
        "data.image_size=8",
        "crowd=matrix",
        f"crowd.path={answers}",
        f"crowd.file_list={files}",
        "crowd.classes=[b,a]",
        f"paths.cache_dir={tmp_path / 'c'}",
        f"hydra.run.dir={tmp_path / 'run'}",
        "model=tiny_cnn",
    ]
    env = os.environ | {"PYTHONPATH": str(repo / "src")}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "row 3, column 2: non-integer cell: 'x'" in errors[0]
    assert "Traceback" not in done.stderr
