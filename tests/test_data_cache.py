"""The decode-once array cache (crowdsign.data.cache)."""

from __future__ import annotations

import numpy as np
import pytest

from crowdsign.data.cache import cached_arrays, entry_dir, file_fingerprint


class Builder:
    """A build function that counts its calls."""

    def __init__(self, value: int = 7) -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return {
            "images": np.full((3, 4, 4, 3), self.value, dtype=np.uint8),
            "ids": np.asarray(["a", "b", "c"]),
        }


KEY = {"source": "unit", "root": "/x", "image_size": 4}


def test_miss_builds_then_hit_loads_a_memmap(tmp_path):
    build = Builder()
    first = cached_arrays(tmp_path, KEY, build)
    second = cached_arrays(tmp_path, KEY, build)
    assert build.calls == 1
    assert isinstance(second["images"], np.memmap) and not second["images"].flags.writeable
    assert not isinstance(second["ids"], np.memmap)
    assert np.array_equal(first["images"], second["images"])
    assert list(second["ids"]) == ["a", "b", "c"]
    # only the finished entry is left: no temporary directories
    assert [p.name for p in tmp_path.iterdir()] == [entry_dir(tmp_path, KEY).name]


def test_changed_key_rebuilds_and_keeps_both(tmp_path):
    build = Builder()
    cached_arrays(tmp_path, KEY, build)
    other = cached_arrays(tmp_path, KEY | {"image_size": 8}, Builder(9))
    assert build.calls == 1 and other["images"][0, 0, 0, 0] == 9
    assert cached_arrays(tmp_path, KEY, build)["images"][0, 0, 0, 0] == 7
    assert build.calls == 1


def test_damaged_entry_is_rebuilt(tmp_path):
    build = Builder()
    cached_arrays(tmp_path, KEY, build)
    (entry_dir(tmp_path, KEY) / "images.npy").write_bytes(b"garbage")
    arrays = cached_arrays(tmp_path, KEY, build)
    assert build.calls == 2 and arrays["images"].shape == (3, 4, 4, 3)


def test_failed_build_leaves_no_entry(tmp_path):
    def broken() -> dict[str, np.ndarray]:
        raise RuntimeError("decode failed")

    with pytest.raises(RuntimeError):
        cached_arrays(tmp_path, KEY, broken)
    assert not entry_dir(tmp_path, KEY).exists()


def test_object_arrays_are_refused(tmp_path):
    with pytest.raises(TypeError, match="object dtype"):
        cached_arrays(tmp_path, KEY, lambda: {"x": np.asarray([{}, 1], dtype=object)})
    assert not entry_dir(tmp_path, KEY).exists()


def test_fingerprint_changes_when_a_file_changes(tmp_path):
    f = tmp_path / "a.ppm"
    f.write_bytes(b"1")
    before = file_fingerprint([f, tmp_path / "missing.ppm"])
    f.write_bytes(b"12")
    assert file_fingerprint([f, tmp_path / "missing.ppm"]) != before
