"""Missing tokens in optional columns, and references resolved by their longest unique path
suffix (``.../stop/0.png`` vs ``.../not_stop/0.png``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from crowdsign.crowd.io import CrowdFormatError, read_long, read_mturk, read_toloka
from crowdsign.data.imageset import ImageSet

BINARY = ("not_stop", "stop")


def split(ids: list[str]) -> ImageSet:
    n = len(ids)
    truth = np.asarray([int(i.startswith("stop/")) for i in ids])
    return ImageSet(np.zeros((n, 1, 1, 3), np.uint8), np.asarray(ids), np.arange(n), BINARY, truth)


@pytest.mark.parametrize("token", ["nan", "NaN", "NA", "null", "", " N/A ", "None", "<NA>"])
def test_missing_tokens_are_missing_in_optional_numeric_columns(tmp_path, token):
    path = tmp_path / "answers.csv"
    path.write_text(
        "task,worker,label,seconds,reward,submitted_at\n"
        f"a.png,w1,stop,{token},0.02,2024-03-01T10:00:00Z\n"
        f"a.png,w2,stop,4.5,{token},{token}\n"
    )
    crowd = read_long(split(["a.png"]), path=path)
    a = crowd.answers
    assert len(a) == 2 and crowd.summary.kept == 2
    assert math.isnan(a["seconds"][0]) and a["seconds"][1] == 4.5
    assert a["reward"][0] == 0.02 and math.isnan(a["reward"][1])
    assert a["submitted_at"].isna().tolist() == [False, True]


def test_junk_in_an_optional_numeric_column_is_still_an_error(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("task,worker,label,seconds\na.png,w1,stop,nanx\n")
    with pytest.raises(CrowdFormatError, match=r"row 2, column 'seconds'.*'nanx'"):
        read_long(split(["a.png"]), path=path)


TOLOKA = "INPUT:image\tOUTPUT:result\tASSIGNMENT:worker_id\n"
URL = "https://bucket.example.com/signs"


def test_urls_resolve_by_the_longest_unique_path_suffix(tmp_path):
    ids = ["stop/0.png", "not_stop/0.png", "stop/1.png", "a/b/x.png", "c/b/x.png"]
    path = tmp_path / "assignments.tsv"
    path.write_text(
        TOLOKA
        + f"{URL}/stop/0.png\tstop\tw1\n"
        + f"{URL}/not_stop/0.png\tnot_stop\tw1\n"
        + f"{URL}/1.png\tstop\tw1\n"  # the name alone is unique
        + f"{URL}/a/b/x.png\tstop\tw1\n"  # b/x.png twice: a/b/x.png once
    )
    crowd = read_toloka(split(ids), path=path, refs="basename")
    assert dict(zip(crowd.answers["task"], crowd.answers["label"], strict=True)) == {
        "stop/0.png": "stop",
        "not_stop/0.png": "not_stop",
        "stop/1.png": "stop",
        "a/b/x.png": "stop",
    }


def test_a_name_no_suffix_can_single_out_is_still_ambiguous(tmp_path):
    path = tmp_path / "assignments.tsv"
    path.write_text(TOLOKA + f"{URL}/elsewhere/0.png\tstop\tw1\n")
    with pytest.raises(CrowdFormatError, match="ambiguous reference"):
        read_toloka(split(["stop/0.png", "not_stop/0.png"]), path=path, refs="basename")


def test_a_reference_outside_the_split_does_not_land_on_its_namesake(tmp_path):
    """The split holds stop/0.png only; not_stop/0.png exists under the root: an answer about
    it is not about stop/0.png."""
    for rel in ("stop/0.png", "not_stop/0.png"):
        (tmp_path / "images" / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "images" / rel)
    path = tmp_path / "batch.csv"
    path.write_text(
        "WorkerId,Input.image_url,Answer.label\n"
        f"w1,{URL}/stop/0.png,stop\n"
        f"w1,{URL}/not_stop/0.png,not_stop\n"
    )
    crowd = read_mturk(
        split(["stop/0.png"]), path=path, refs="basename", image_root=str(tmp_path / "images")
    )
    assert crowd.answers["task"].tolist() == ["stop/0.png"]
    assert crowd.answers["label"].tolist() == ["stop"]
