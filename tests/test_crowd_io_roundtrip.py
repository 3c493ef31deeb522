"""Every format writes and reads back the same answer table; the sample exports agree."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crowdsign.crowd.io import (
    read_labelstudio,
    read_long,
    read_mturk,
    read_toloka,
    write_labelstudio,
    write_long,
    write_mturk,
    write_toloka,
)
from crowdsign.crowd.io.examples import (
    FILES,
    LOCAL_PREFIX,
    URL_PREFIX,
    example_answers,
    example_images,
    write_examples,
)
from crowdsign.crowd.io.table import canonical

REPO = Path(__file__).resolve().parents[1]
URL = "https://cdn.example.org/crowd/"


def awkward() -> pd.DataFrame:
    """Answers with the characters that break naive CSV/TSV/JSON handling."""
    return canonical(
        pd.DataFrame(
            {
                "task": ["a/b c,d.png", "a/b c,d.png", "ünï/cödé.jpg", "x/'q\"uote'.png"],
                "worker": ["007", "A1B2", "ann@example.org", "12"],
                "label": ['not stop, "really"', "stop\tsign", "Stöp", "NA"],
                "seconds": [3.0, 12.345678, np.nan, 0.5],
                "reward": [0.05, 0.0125, 0.1, np.nan],
                "status": ["approved", "rejected", None, "submitted"],
                "submitted_at": pd.to_datetime(
                    ["2024-01-01T10:00:00Z", "2024-01-02T11:00:01Z", None, "2023-12-31T23:59:59Z"],
                    utc=True,
                ),
            }
        )
    )


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["task", "worker"]).reset_index(drop=True)


CASES = {
    "mturk": (write_mturk, read_mturk, "b.csv", None),
    "toloka": (write_toloka, read_toloka, "b.tsv", None),
    "labelstudio": (
        write_labelstudio,
        read_labelstudio,
        "b.json",
        ["task", "worker", "label", "seconds", "submitted_at"],
    ),
    "long_csv": (write_long, read_long, "b.csv", None),
    "long_tsv": (write_long, read_long, "b.tsv", None),
}


PARAMS = [(f, p) for f in CASES for p in ("", URL) if not (f.startswith("long") and p)]


@pytest.mark.parametrize(("fmt", "prefix"), PARAMS)
def test_write_read_is_lossless(tmp_path, fmt, prefix):
    write, read, name, columns = CASES[fmt]
    table = awkward() if columns is None else awkward()[columns]
    kw = {"prefix": prefix} if write is not write_long else {}
    path = write(table, tmp_path / name, **kw)
    refs = {"refs": "strip_prefix", "prefix": prefix} if prefix else {}
    got = read(path=path, **refs).answers
    if fmt == "labelstudio":  # tasks are grouped in Label Studio
        got, table = _sorted(got), _sorted(table)
    pd.testing.assert_frame_equal(got, table)
    # and a second trip changes nothing
    again = read(path=write(got, tmp_path / ("2" + name), **kw), **refs).answers
    pd.testing.assert_frame_equal(_sorted(again), _sorted(got))


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="needs pyarrow")
def test_parquet_round_trip(tmp_path):
    table = awkward()
    got = read_long(path=write_long(table, tmp_path / "a.parquet")).answers
    pd.testing.assert_frame_equal(got, table)


def test_parquet_without_engine_is_a_clear_import_error(tmp_path, monkeypatch):
    def no_engine(*args, **kwargs):
        raise ImportError("Unable to find a usable engine")

    monkeypatch.setattr(pd, "read_parquet", no_engine)
    (tmp_path / "a.parquet").write_bytes(b"PAR1")
    with pytest.raises(ImportError, match="pyarrow"):
        read_long(path=tmp_path / "a.parquet")


def test_sample_exports_are_current_and_agree():
    want = canonical(example_answers())
    d = REPO / "data" / "examples"
    for name in FILES.values():
        assert (d / name).is_file(), "regenerate with python -m crowdsign.crowd.io.examples"
    reads = {
        "mturk": read_mturk(path=d / FILES["mturk"], refs="strip_prefix", prefix=URL_PREFIX),
        "toloka": read_toloka(path=d / FILES["toloka"], refs="strip_prefix", prefix=URL_PREFIX),
        "long": read_long(path=d / FILES["long"]),
    }
    for fmt, crowd in reads.items():
        pd.testing.assert_frame_equal(crowd.answers, want, obj=fmt)
    ls = read_labelstudio(path=d / FILES["labelstudio"], refs="strip_prefix", prefix=LOCAL_PREFIX)
    pd.testing.assert_frame_equal(
        _sorted(ls.answers), _sorted(want.drop(columns=["reward", "status"]))
    )


def test_examples_generator_is_deterministic(tmp_path):
    paths = write_examples(tmp_path)
    for fmt, path in paths.items():
        assert path.read_bytes() == (REPO / "data" / "examples" / FILES[fmt]).read_bytes(), fmt


def test_reading_for_a_split_maps_urls_by_basename():
    imgs = example_images()
    d = REPO / "data" / "examples"
    crowd = read_mturk(imgs, path=d / FILES["mturk"], refs="basename")
    assert set(crowd.answers["task"]) == set(imgs.image_id)
    assert set(crowd.answers["label"]) <= set(imgs.class_names)
    assert crowd.summary.kept == crowd.summary.read == 36
