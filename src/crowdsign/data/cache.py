"""Decode once: a keyed, atomically written cache of ``.npy`` arrays read back by memmap.

An entry is a directory ``<cache_dir>/<source>-<hash>/`` holding one ``<name>.npy`` per array
and ``key.json``. The hash covers the key (source, root, image size, a fingerprint of the input
files, ...) and :data:`CACHE_VERSION`, so any change to them builds a new entry. A build writes
into a temporary directory and renames it into place, so a reader never sees half an entry and
two processes building the same key at once both end with the same complete entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

CACHE_VERSION = 1  # bump when the decoded content changes for the same key (resize, colour, ...)


def key_hash(key: Mapping[str, Any]) -> str:
    """16 hex digits of sha256 over the JSON of ``key`` and :data:`CACHE_VERSION`."""
    text = json.dumps({"key": key, "version": CACHE_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def entry_dir(cache_dir: str | os.PathLike, key: Mapping[str, Any]) -> Path:
    """The directory that holds (or will hold) the entry of ``key``."""
    prefix = str(key.get("source", "data")).replace(os.sep, "_")
    return Path(cache_dir) / f"{prefix}-{key_hash(key)}"


def cached_arrays(
    cache_dir: str | os.PathLike,
    key: Mapping[str, Any],
    build: Callable[[], Mapping[str, np.ndarray]],
    *,
    mmap: Collection[str] = ("images",),
) -> dict[str, np.ndarray]:
    """Load the arrays of ``key`` from the cache, building and storing them on a miss.

    Args:
        cache_dir: root of the cache; created if missing.
        key: JSON-able description of everything the arrays depend on; must hold ``"source"``.
        build: called on a miss; returns named numpy arrays (no object dtype).
        mmap: names of arrays returned as read-only memmaps; the rest are read into memory.

    Returns:
        ``{name: array}``, the same names ``build`` returned.
    """
    final = entry_dir(cache_dir, key)
    if final.is_dir():
        try:
            arrays = _read(final, mmap)
            log.info("data cache hit: %s", final)
            return arrays
        except (OSError, ValueError) as err:  # a damaged entry: drop it and build again
            log.warning("data cache entry %s is unreadable (%s); rebuilding", final, err)
            shutil.rmtree(final, ignore_errors=True)
    log.info("data cache miss: building %s", final)
    arrays = dict(build())
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        for name, array in arrays.items():
            array = np.asarray(array)
            if array.dtype == object:
                raise TypeError(f"cached array {name!r} has object dtype; store str or numbers")
            np.save(tmp / f"{name}.npy", array, allow_pickle=False)
        (tmp / "key.json").write_text(json.dumps(dict(key), indent=1, sort_keys=True, default=str))
        try:
            os.rename(tmp, final)
        except OSError:  # another process finished the same entry first; keep theirs
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _read(final, mmap)


def _read(entry: Path, mmap: Iterable[str]) -> dict[str, np.ndarray]:
    if not (entry / "key.json").is_file():
        raise ValueError("missing key.json")
    mmap = set(mmap)
    return {
        path.stem: np.load(path, mmap_mode="r" if path.stem in mmap else None, allow_pickle=False)
        for path in sorted(entry.glob("*.npy"))
    }


def file_fingerprint(paths: Iterable[str | os.PathLike]) -> str:
    """Hash of each path with its size and mtime; missing files hash as missing.

    Part of a cache key, so that editing, adding or removing an input file builds a new entry.
    """
    h = hashlib.sha256()
    for path in paths:
        try:
            st = os.stat(path)
            h.update(f"{os.fspath(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{os.fspath(path)}\0missing\n".encode())
    return h.hexdigest()[:16]
