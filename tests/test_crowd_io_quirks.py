"""Real-world export quirks, and bad input: errors naming file, row and column, or skip-and-count."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from crowdsign.crowd.io import (
    CrowdFormatError,
    read_labelstudio,
    read_long,
    read_mturk,
    read_toloka,
)
from crowdsign.data.imageset import ImageSet

BINARY = ("not_stop", "stop")


def split(ids: list[str], names=BINARY) -> ImageSet:
    n = len(ids)
    return ImageSet(
        np.zeros((n, 1, 1, 3), np.uint8), np.asarray(ids), np.arange(n), names, np.zeros(n, int)
    )


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def consistent(summary) -> bool:
    return summary.read == summary.kept + sum(summary.dropped.values())


# --- MTurk --------------------------------------------------------------------------------------
MTURK_HEAD = "HITId,AssignmentId,WorkerId,AssignmentStatus,WorkTimeInSeconds,Reward,SubmitTime"


def test_mturk_quirks_bom_dollars_timezones_radio_buttons_blank_rows(tmp_path):
    text = (
        "\ufeff" + MTURK_HEAD + ",Input.image_url,Answer.sign.stop,Answer.sign.not_stop\n"
        "H1,A1,W1,Approved,12,$0.05,Wed Jan 10 13:43:20 PST 2024,https://s3/x/stop/1.png,true,false\n"
        "H1,A2,W2,Rejected,3,$0.05,Thu Jul 11 08:00:00 PDT 2024,https://s3/x/stop/1.png,false,true\n"
        ",,,,,,,,,\n\n"
    )
    crowd = read_mturk(split(["stop/1.png"]), path=write(tmp_path, "b.csv", text), refs="basename")
    a = crowd.answers
    assert list(a["label"]) == ["stop", "not_stop"] and list(a["status"]) == [
        "approved",
        "rejected",
    ]
    assert list(a["reward"]) == [0.05, 0.05] and list(a["seconds"]) == [12.0, 3.0]
    assert str(a["submitted_at"][0]) == "2024-01-10 21:43:20+00:00"
    assert str(a["submitted_at"][1]) == "2024-07-11 15:00:00+00:00"
    assert crowd.summary.read == 2


def test_mturk_answer_field_and_input_field_choice(tmp_path):
    text = "WorkerId,Input.image_url,Input.id,Answer.category.label\nW1,a.png,7,Stop sign\n"
    path = write(tmp_path, "b.csv", text)
    with pytest.raises(CrowdFormatError, match="input_field"):
        read_mturk(path=path)
    crowd = read_mturk(
        split(["a.png"]), path=path, input_field="image_url", vocabulary={"stop": ["Stop sign"]}
    )
    assert list(crowd.answers["label"]) == ["stop"]


def test_unknown_label_names_file_row_column_then_skip_counts_it(tmp_path):
    text = "WorkerId,Input.img,Answer.label\nW1,a.png,stop\nW2,a.png,Stopp\nW3,a.png,STOP  sign\n"
    path = write(tmp_path, "batch.csv", text)
    with pytest.raises(CrowdFormatError) as e:
        read_mturk(split(["a.png"]), path=path, vocabulary={"stop": "stop_sign"})
    msg = str(e.value)
    assert "batch.csv" in msg and "row 3" in msg and "'Answer.label'" in msg and "Stopp" in msg
    assert e.value.row == "row 3" and e.value.column == "Answer.label"
    crowd = read_mturk(
        split(["a.png"]), path=path, vocabulary={"stop": "stop_sign"}, on_error="skip"
    )
    assert list(crowd.answers["label"]) == ["stop", "stop"]
    assert crowd.summary.dropped["unknown label"] == 1 and consistent(crowd.summary)
    assert "row 3" in crowd.summary.examples["unknown label"][0]
    assert "unknown label" in crowd.summary.to_markdown()


def test_vocabulary_rejects_yaml_booleans_and_conflicts():
    from crowdsign.crowd.io.resolve import Vocabulary

    with pytest.raises(ValueError, match="quote"):
        Vocabulary(BINARY, {"stop": [True]})
    with pytest.raises(ValueError, match="both"):
        Vocabulary(BINARY, {"stop": ["x"], "not_stop": ["X"]})
    v = Vocabulary(BINARY, {"stop": ["yes"], "go": ["no"]})  # "go" is not a class here
    mapped, unknown, why = v.map(np.array(["Yes", "no", "NOT-STOP"], dtype=object))
    assert list(mapped[~unknown]) == ["stop", "not_stop"] and "maps it to 'go'" in why[1]


@pytest.mark.parametrize(
    ("row", "reason", "column"),
    [
        ("a.png,W2,stop,abc", "unparseable value", "seconds"),
        ("a.png,W2,,1", "missing value", "label"),
        ("a.png, W1 ,stop,1", "duplicate answer", "worker"),
        ("a.png,W2,stop,1,extra", "cannot parse", None),
    ],
)
def test_bad_rows_error_then_skip(tmp_path, row, reason, column):
    text = f"task,worker,label,seconds\na.png,W1,stop,1\n{row}\n"
    path = write(tmp_path, "a.csv", text)
    with pytest.raises(CrowdFormatError) as e:
        read_long(split(["a.png"]), path=path)
    assert reason in str(e.value) and ("row 3" in str(e.value) or "line 3" in str(e.value))
    assert e.value.column == column
    crowd = read_long(split(["a.png"]), path=path, on_error="skip")
    assert crowd.summary.kept == 1 and crowd.summary.read == 2 and consistent(crowd.summary)


@pytest.mark.parametrize("reader", [read_long, read_toloka])
def test_first_row_with_one_field_too_many(tmp_path, reader):
    """Such a row once made pandas take column 1 as the index (and crash later). A trailing
    empty field loses nothing; any other extra value makes the row bad, named or counted."""
    sep, name = ("\t", "t.tsv") if reader is read_toloka else (",", "a.csv")
    header = ["INPUT:image", "OUTPUT:result", "ASSIGNMENT:worker_id"]
    if reader is read_long:
        header = ["task", "label", "worker"]

    def rows(extra: str) -> str:
        lines = [header, ["a.png", "stop", "W1", extra], ["a.png", "stop", "W2"]]
        return "\n".join(sep.join(cells) for cells in lines) + "\n"

    path = write(tmp_path, name, rows("EXTRA"))
    with pytest.raises(CrowdFormatError, match="line 2: more fields than the header"):
        reader(split(["a.png"]), path=path)
    crowd = reader(split(["a.png"]), path=path, on_error="skip")
    assert list(crowd.answers["worker"]) == ["W2"]
    assert crowd.summary.dropped == {"unparseable row": 1} and consistent(crowd.summary)
    crowd = reader(split(["a.png"]), path=write(tmp_path, name, rows("")))
    assert list(crowd.answers["worker"]) == ["W1", "W2"] and consistent(crowd.summary)


def test_row_numbers_stay_right_after_skipped_lines(tmp_path):
    text = "task,worker,label\na.png,W1,stop\na.png,W2,stop,x\na.png,W3,stop,x\na.png,W4,nope\n"
    crowd = read_long(split(["a.png"]), path=write(tmp_path, "a.csv", text), on_error="skip")
    assert crowd.summary.dropped == {"unparseable row": 2, "unknown label": 1}
    assert crowd.summary.examples["unknown label"][0].startswith("row 5")


def test_missing_columns_empty_files_and_header_only(tmp_path):
    with pytest.raises(CrowdFormatError, match=r"missing column.*'label'.*separator"):
        read_long(path=write(tmp_path, "a.csv", "task\tworker\tlabel\na\tb\tc\n"))
    with pytest.raises(CrowdFormatError, match="empty"):
        read_long(path=write(tmp_path, "e.csv", ""))
    with pytest.raises(CrowdFormatError, match="only a header"):
        read_long(path=write(tmp_path, "h.csv", "task,worker,label\n"))
    with pytest.raises(CrowdFormatError, match="cannot read"):
        read_long(path=tmp_path / "nope.csv")
    with pytest.raises(CrowdFormatError, match="duplicate column"):
        read_long(path=write(tmp_path, "d.csv", "task,worker,label,label\na,b,c,d\n"))


def test_encodings(tmp_path):
    text = "task,worker,label\ncafé.png,W1,stop\n"
    with pytest.raises(CrowdFormatError) as e:
        read_long(path=write(tmp_path, "a.csv", text, "cp1252"))
    assert "encoding" in str(e.value) and e.value.row == "line 2"
    assert read_long(path=tmp_path / "a.csv", encoding="cp1252").answers["task"][0] == "café.png"
    utf16 = write(tmp_path, "b.tsv", text.replace(",", "\t"), "utf-16")  # Excel "Unicode text"
    assert read_long(path=utf16).answers["task"][0] == "café.png"


# --- references -----------------------------------------------------------------------------------
@pytest.fixture
def root(tmp_path):
    r = tmp_path / "images"
    for rel in ("stop/1.png", "stop/2.png", "val/3.png", "other/1.png"):
        (r / rel).parent.mkdir(parents=True, exist_ok=True)
        (r / rel).write_bytes(b"x")
    (tmp_path / "secret.png").write_bytes(b"x")
    os.symlink(tmp_path / "secret.png", r / "stop" / "link.png")
    return r


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("../secret.png", "reference outside image root"),
        ("stop/../../secret.png", "reference outside image root"),
        ("{tmp}/secret.png", "reference outside image root"),
        ("stop/link.png", "reference outside image root"),
        ("stop/9.png", "missing image file"),
        ("https://x.org/stop/1.png", "bad reference"),
        ("C:\\images\\stop\\1.png", "bad reference"),
    ],
)
def test_references_outside_root_or_missing_are_refused(tmp_path, root, ref, reason):
    ref = ref.format(tmp=tmp_path)
    text = f"task,worker,label\nstop/1.png,W1,stop\n{ref},W1,stop\n"
    path = write(tmp_path, "a.csv", text)
    with pytest.raises(CrowdFormatError, match=reason) as e:
        read_long(path=path, image_root=str(root))
    assert e.value.row == "row 3" and e.value.column == "task"
    crowd = read_long(path=path, image_root=str(root), on_error="skip")
    assert crowd.summary.dropped == {reason: 1} and list(crowd.answers["task"]) == ["stop/1.png"]


def test_absolute_and_dotted_paths_inside_root_become_ids(tmp_path, root):
    text = f"task,worker,label\n{root}/stop/1.png,W1,stop\n./stop//2.png,W1,stop\n"
    crowd = read_long(path=write(tmp_path, "a.csv", text), image_root=str(root))
    assert list(crowd.answers["task"]) == ["stop/1.png", "stop/2.png"]


def test_answers_for_other_splits_are_dropped_and_counted_not_errors(tmp_path, root):
    text = "task,worker,label\nstop/1.png,W1,stop\nval/3.png,W1,stop\n"
    path = write(tmp_path, "a.csv", text)
    crowd = read_long(split(["stop/1.png"]), path=path, image_root=str(root))
    assert crowd.summary.dropped == {"image not in split": 1} and crowd.summary.kept == 1
    with pytest.raises(CrowdFormatError, match="no answers left"):
        read_long(split(["stop/2.png"]), path=path, image_root=str(root))


def test_basename_rule_matches_ids_in_subfolders_and_flags_ambiguity(tmp_path, root):
    text = "task,worker,label\nhttp://h/q/2.png?sig=abc,W1,stop\nhttp://h/1.png,W1,stop\n"
    path = write(tmp_path, "a.csv", text)
    imgs = split(["stop/1.png", "stop/2.png", "other/1.png"])
    with pytest.raises(CrowdFormatError, match="ambiguous"):
        read_long(imgs, path=path, refs="basename", image_root=str(root))
    crowd = read_long(imgs, path=path, refs="basename", on_error="skip")
    assert list(crowd.answers["task"]) == ["stop/2.png"]


def test_strip_prefix_requires_the_prefix(tmp_path):
    text = "task,worker,label\nhttps://a.org/s/x%20y.png,W1,stop\nhttps://b.org/s/z.png,W1,stop\n"
    path = write(tmp_path, "a.csv", text)
    with pytest.raises(CrowdFormatError, match="does not start with"):
        read_long(path=path, refs="strip_prefix", prefix="https://a.org/s/")
    crowd = read_long(path=path, refs="strip_prefix", prefix="https://a.org/s/", on_error="skip")
    assert list(crowd.answers["task"]) == ["x y.png"]


# --- Toloka -------------------------------------------------------------------------------------
def test_toloka_task_suites_split_reward_and_time_and_skip_expired(tmp_path):
    head = (
        "INPUT:image\tOUTPUT:result\tGOLDEN:result\tASSIGNMENT:assignment_id\t"
        "ASSIGNMENT:worker_id\tASSIGNMENT:status\tASSIGNMENT:started\tASSIGNMENT:submitted\t"
        "ASSIGNMENT:reward\n"
    )
    rows = [
        "a.png\tstop\t\tS1\tW1\tAPPROVED\t2024-05-01T10:00:00.000\t2024-05-01T10:00:20.000\t0.1",
        "b.png\tnot_stop\tnot_stop\tS1\tW1\tAPPROVED\t2024-05-01T10:00:00.000\t2024-05-01T10:00:20.000\t0.1",
        "a.png\t\t\tS2\tW2\tEXPIRED\t2024-05-01T10:00:00.000\t\t0",
    ]
    path = write(tmp_path, "t.tsv", head + "\n".join(rows) + "\n")
    with pytest.raises(CrowdFormatError, match="row 4.*OUTPUT:result.*missing value"):
        read_toloka(path=path)
    crowd = read_toloka(split(["a.png", "b.png"]), path=path, on_error="skip")
    a = crowd.answers
    assert list(a["seconds"]) == [10.0, 10.0] and list(a["reward"]) == [0.05, 0.05]
    assert crowd.summary.dropped == {"missing value": 1}


# --- Label Studio -------------------------------------------------------------------------------
def ls_task(i, image, *anns):
    return {"id": i, "data": {"image": image}, "annotations": list(anns)}


def ann(worker, *choices, **extra):
    res = [{"type": "choices", "from_name": "c", "value": {"choices": list(choices)}}]
    return {"completed_by": worker, "result": res, **extra}


def test_labelstudio_quirks(tmp_path):
    tasks = [
        ls_task(1, "/data/upload/3/1a2b3c4d-1.png", ann(5, "Stop", lead_time=4.5)),
        ls_task(2, "/data/upload/3/deadbeef-2.png", ann({"id": 7, "email": "a@b.c"}, "stop")),
        ls_task(3, "/data/upload/3/00000000-1.png", ann(8, "stop", was_cancelled=True)),
        ls_task(4, "/data/upload/3/00000000-2.png", ann(9, "stop", "not_stop")),
        ls_task(5, "/data/upload/3/00000000-2.png"),  # no annotations: nothing to read
    ]
    path = write(tmp_path, "ls.json", json.dumps(tasks))
    crowd = read_labelstudio(
        split(["stop/1.png", "stop/2.png"]), path=path, refs="basename", on_error="skip"
    )
    a = crowd.answers
    assert list(a["task"]) == ["stop/1.png", "stop/2.png"] and list(a["worker"]) == ["5", "a@b.c"]
    assert list(a["label"]) == ["stop", "stop"] and a["seconds"][0] == 4.5
    assert crowd.summary.dropped == {"cancelled annotation": 1, "ambiguous answer": 1}
    with pytest.raises(CrowdFormatError, match="task 2 .id 3., annotation 0"):
        read_labelstudio(split(["stop/1.png", "stop/2.png"]), path=path, refs="basename")


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ("{", "not JSON"),
        ('{"tasks": []}', "JSON list"),
        ("[]", "no annotations"),
        ('[{"id": 1}]', "task 0"),
        ('[{"data": {"image": 3}, "annotations": [{}]}]', "no reference"),
        ('[{"data": {"image": "a.png"}, "annotations": {"x": 1}}]', "not a list"),
    ],
)
def test_labelstudio_malformed(tmp_path, doc, match):
    with pytest.raises(CrowdFormatError, match=match):
        read_labelstudio(path=write(tmp_path, "ls.json", doc))
