"""Decode a list of image files once, through the cache; shared by file-per-image sources."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

import numpy as np

from crowdsign.data.cache import cached_arrays, file_fingerprint
from crowdsign.data.decode import check_extension, check_on_bad_image, decode_file, parallel_decode
from crowdsign.data.summary import LoadSummary


def _decode_one(item: tuple[str, int]) -> np.ndarray:
    path, image_size = item
    check_extension(path)
    return decode_file(path, image_size)[None]


def decode_files(
    paths: Sequence[str],
    *,
    names: Sequence[str] | None = None,
    source: str,
    root: str,
    image_size: int,
    cache_dir: str,
    on_bad_image: str = "raise",
    workers: int = 0,
) -> tuple[np.ndarray, np.ndarray, LoadSummary]:
    """Decode ``paths`` to ``(S, S, 3)`` images, or read them from the cache.

    The cache key is the source, root, size, ``on_bad_image`` and each file's path, size and
    mtime, so labels and groups can change without a new decode.

    Args:
        paths: absolute paths, one per input row.
        names: how a bad row is named in errors and the summary (default: its path).
        source: the source's name (``"folder"``); ``root``: its root, for the key and summary.

    Returns:
        ``(images, rows, summary)``: ``images`` ``(M, S, S, 3)`` uint8 memmap, ``rows``
        ``(M,)`` int64 positions in ``paths`` of the decoded images (bad ones skipped).
    """
    check_on_bad_image(on_bad_image)
    names = list(paths) if names is None else list(names)
    key = {
        "source": source,
        "root": root,
        "image_size": int(image_size),
        "files": file_fingerprint(paths),
        "names": hashlib.sha256("\n".join(names).encode()).hexdigest()[:16],
        "on_bad_image": on_bad_image,
    }
    summary = LoadSummary(source=f"{source}:{root}", read=len(paths), unit="images")

    def build() -> dict[str, np.ndarray]:
        images, rows = parallel_decode(
            [(os.fspath(p), int(image_size)) for p in paths],
            _decode_one,
            names=names,
            image_size=int(image_size),
            summary=summary,
            on_bad_image=on_bad_image,
            workers=workers,
        )
        return {"images": images, "rows": rows} | summary.to_arrays()

    arrays = cached_arrays(cache_dir, key, build)
    return arrays["images"], arrays["rows"], LoadSummary.from_arrays(summary.source, arrays)
