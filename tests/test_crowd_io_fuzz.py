"""Property tests: malformed exports make every reader raise CrowdFormatError or skip-and-count.

Nothing else may escape (no pandas, json or Unicode errors), and whatever is returned is a
valid answer table for the split.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crowdsign.crowd.io import (
    CrowdFormatError,
    read_labelstudio,
    read_long,
    read_mturk,
    read_toloka,
    write_long,
    write_mturk,
    write_toloka,
)
from crowdsign.crowd.io.examples import example_answers, example_images

IMGS = example_images()
BASE = example_answers().head(6)
# CROWD_FUZZ_EXAMPLES=2000 for a thorough local run
SETTINGS = settings(
    max_examples=int(os.environ.get("CROWD_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
DELIMITED = {
    "mturk": (read_mturk, write_mturk, "b.csv"),
    "toloka": (read_toloka, write_toloka, "t.tsv"),
    "long": (read_long, write_long, "a.csv"),
}
NASTY = st.lists(
    st.sampled_from([*'ab,\t"\n\r\x00 é☃$-./\\:', "stop", "..", "http://", "yes"]), max_size=8
).map("".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])


def check(read, path, on_error: str, **kw) -> None:
    """The reader returns a valid table or raises CrowdFormatError naming the file."""
    try:
        crowd = read(IMGS, path=path, on_error=on_error, refs="basename", **kw)
    except CrowdFormatError as e:
        assert str(e).startswith(str(path))
        event(f"error: {e.reason.split(':')[0][:40]}")
        return
    s = crowd.summary
    assert s.read == s.kept + sum(s.dropped.values()) and s.kept == len(crowd.answers) > 0
    a = crowd.answers
    assert set(a["task"]) <= set(IMGS.image_id) and set(a["label"]) <= set(IMGS.class_names)
    assert not a.duplicated(["task", "worker"]).any()
    if on_error == "error":
        assert set(s.dropped) <= {"image not in split"}
    event(f"read, {'some' if s.dropped else 'none'} dropped")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("fmt", [*DELIMITED, "labelstudio"])
@SETTINGS
@given(data=st.binary(max_size=300), on_error=st.sampled_from(["error", "skip"]))
def test_random_bytes(folder, fmt, data, on_error):
    read = read_labelstudio if fmt == "labelstudio" else DELIMITED[fmt][0]
    path = folder / f"{fmt}.{'json' if fmt == 'labelstudio' else 'txt'}"
    path.write_bytes(data)
    check(read, path, on_error, **({"sep": ","} if fmt == "long" else {}))


EDIT = st.one_of(
    st.tuples(st.just("cell"), st.integers(0, 50), st.integers(0, 20), NASTY),
    st.tuples(st.just("line"), st.integers(0, 50), NASTY),
    st.tuples(st.just("insert"), st.integers(0, 50), NASTY),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("duplicate"), st.integers(0, 50)),
    st.tuples(st.just("truncate"), st.integers(0, 2000)),
)


def mutate(text: str, sep: str, edits) -> str:
    lines = text.split("\n")
    for op, *args in edits:
        i = args[0] % len(lines) if op != "truncate" else 0
        if op == "cell":
            cells = lines[i].split(sep)
            cells[args[1] % len(cells)] = args[2]
            lines[i] = sep.join(cells)
        elif op == "line":
            lines[i] = args[1]
        elif op == "insert":
            lines.insert(i, args[1])
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "truncate":
            lines = "\n".join(lines)[: args[0]].split("\n")
    return "\n".join(lines)


@pytest.mark.parametrize("fmt", list(DELIMITED))
@SETTINGS
@given(
    edits=st.lists(EDIT, min_size=1, max_size=4),
    encoding=ENCODINGS,
    on_error=st.sampled_from(["error", "skip"]),
)
def test_mutated_delimited_exports(folder, fmt, edits, encoding, on_error):
    read, write, name = DELIMITED[fmt]
    sep = "\t" if name.endswith(".tsv") else ","
    text = write(BASE, folder / ("clean_" + name)).read_text(encoding="utf-8")
    path = folder / name
    path.write_bytes(mutate(text, sep, edits).encode(encoding, errors="replace"))
    check(read, path, on_error)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | NASTY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NASTY, inner, max_size=3),
    max_leaves=6,
)


def maybe(strategy):
    """Mostly the right shape, sometimes any JSON value."""
    return st.integers(0, 7).flatmap(lambda i: JSON if i == 7 else strategy)


RESULT = st.fixed_dictionaries(
    {
        "type": maybe(st.just("choices")),
        "from_name": maybe(st.just("c")),
        "value": maybe(
            st.fixed_dictionaries(
                {
                    "choices": maybe(
                        st.lists(maybe(st.sampled_from(["stop", "not_stop"])), max_size=2)
                    )
                }
            )
        ),
    }
)
ANNOTATION = st.fixed_dictionaries(
    {
        "completed_by": maybe(st.integers(1, 4) | st.fixed_dictionaries({"id": st.integers()})),
        "result": maybe(st.lists(maybe(RESULT), min_size=1, max_size=2)),
    },
    optional={
        "was_cancelled": maybe(st.booleans()),
        "lead_time": maybe(st.floats(0, 100)),
        "created_at": maybe(st.just("2024-01-01T00:00:00Z")),
    },
)
TASK = st.fixed_dictionaries(
    {
        "data": maybe(
            st.fixed_dictionaries(
                {"image": maybe(st.sampled_from([*IMGS.image_id.tolist(), "../x.png", "q.png"]))}
            )
        ),
        "annotations": maybe(st.lists(maybe(ANNOTATION), max_size=3)),
    }
)


@SETTINGS
@given(tasks=maybe(st.lists(maybe(TASK), max_size=5)), on_error=st.sampled_from(["error", "skip"]))
def test_malformed_labelstudio_exports(folder, tasks, on_error):
    path = folder / "ls.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    check(read_labelstudio, path, on_error)


def test_fuzz_base_is_valid(folder):
    for read, write, name in DELIMITED.values():
        crowd = read(IMGS, path=write(BASE, folder / name), refs="basename")
        assert len(crowd.answers) == len(BASE)
    assert np.isin(BASE["task"], IMGS.image_id).all()
