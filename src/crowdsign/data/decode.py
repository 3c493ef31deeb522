"""Decode image files to fixed-size RGB uint8 arrays, in parallel, with clear bad-file errors.

Pillow decodes JPEG/PNG/PPM/WebP; binary 8-bit PPM (all of GTSRB) takes a numpy fast path.
Every mode becomes RGB: alpha is composited over white, 16-bit grey is scaled to 8 bits
(Pillow's own ``convert("RGB")`` would clip it to white), CMYK/palette/grey go through Pillow.
Resizing uses OpenCV ``INTER_AREA`` when shrinking and ``INTER_LINEAR`` when enlarging, and
stretches to a square: crop or pad before calling when the aspect ratio matters.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
from PIL import Image, ImageOps

from crowdsign.data.summary import LoadSummary
from crowdsign.errors import ConfigError, InputError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".webp")
ON_BAD_IMAGE = ("raise", "skip")
T = TypeVar("T")


class BadImageError(InputError):
    """An input image that cannot be used; the message starts with the file (and row)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def check_on_bad_image(on_bad_image: str) -> str:
    if on_bad_image not in ON_BAD_IMAGE:
        raise ConfigError(f"data.on_bad_image={on_bad_image!r}; expected one of {ON_BAD_IMAGE}")
    return on_bad_image


def check_extension(path: str | os.PathLike, where: str | None = None) -> None:
    """Raise :class:`BadImageError` unless ``path`` ends in a supported image extension."""
    if Path(path).suffix.lower() not in IMAGE_EXTENSIONS:
        raise BadImageError(
            where or os.fspath(path),
            f"unsupported extension {Path(path).suffix!r}; expected one of {IMAGE_EXTENSIONS}",
        )


def _read_ppm(data: bytes) -> np.ndarray | None:
    """``(H, W, 3)`` from a binary PPM with maxval 255, or ``None`` for any other flavour."""
    fields: list[bytes] = []
    pos = 2
    while len(fields) < 3:
        while pos < len(data) and data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.find(b"\n", pos) + 1 or len(data)
            continue
        end = pos
        while end < len(data) and data[end : end + 1].isdigit():
            end += 1
        if end == pos:
            return None
        fields.append(data[pos:end])
        pos = end
    width, height, maxval = (int(x) for x in fields)
    if maxval != 255 or width <= 0 or height <= 0:
        return None
    need = width * height * 3
    start = pos + 1  # exactly one whitespace byte ends the header
    if len(data) - start < need:
        raise OSError(f"truncated PPM: {len(data) - start} of {need} pixel bytes")
    pixels = np.frombuffer(data, dtype=np.uint8, count=need, offset=start)
    return pixels.reshape(height, width, 3)


def to_rgb(image: Image.Image) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB from a Pillow image of any mode."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        grey = np.asarray(image).astype(np.float64)
        grey = np.clip(np.rint(grey / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "F":
        grey = np.clip(np.rint(np.asarray(image)), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)


def read_image(path: str | os.PathLike, *, exif_transpose: bool = True) -> np.ndarray:
    """Decode one file to ``(H, W, 3)`` uint8 RGB.

    Raises:
        BadImageError: the file is missing, empty, truncated or not an image Pillow can read.
    """
    where = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise BadImageError(where, "file not found") from None
    except OSError as err:
        raise BadImageError(where, f"cannot read file ({err.strerror or err})") from None
    if not data:
        raise BadImageError(where, "empty file (0 bytes)")
    try:
        if data[:2] == b"P6":
            fast = _read_ppm(data)
            if fast is not None:
                return fast
        with Image.open(BytesIO(data)) as image:
            image.load()
            if exif_transpose:
                image = ImageOps.exif_transpose(image)
            return to_rgb(image)
    except Exception as err:  # Pillow raises OSError, SyntaxError, ValueError, ... on bad data
        reason = str(err) or type(err).__name__
        if "cannot identify image file" in reason:
            reason = "not a readable image (unknown or corrupt format)"
        raise BadImageError(where, reason) from None


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """Stretch ``(H, W, 3)`` to ``(size, size, 3)``; INTER_AREA shrinks, INTER_LINEAR enlarges."""
    h, w = image.shape[:2]
    if (h, w) == (size, size):
        return np.ascontiguousarray(image)
    interp = cv2.INTER_AREA if size < max(h, w) else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(image), (size, size), interpolation=interp)


def decode_file(path: str | os.PathLike, image_size: int) -> np.ndarray:
    """``(image_size, image_size, 3)`` uint8 from one file (see :func:`read_image`)."""
    return resize(read_image(path), image_size)


def worker_count(workers: int) -> int:
    """``workers``, or every core this process may use when ``workers`` is 0."""
    if workers < 0:
        raise ValueError(f"workers={workers} must be >= 0 (0 = all cores)")
    return workers or len(os.sched_getaffinity(0))


def parallel_decode(
    items: Sequence[T],
    decode: Callable[[T], np.ndarray],
    *,
    names: Sequence[str],
    image_size: int,
    summary: LoadSummary,
    on_bad_image: str = "raise",
    workers: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``decode`` over ``items`` in a thread pool (decoding and resizing release the GIL).

    ``decode(item)`` returns ``(k, S, S, 3)`` uint8 (``k`` crops of one file, usually 1) or
    raises :class:`BadImageError`. With ``on_bad_image="skip"`` that item is dropped and recorded
    in ``summary`` as ``names[i]``; with ``"raise"`` a :class:`BadImageError` naming ``names[i]``
    (a path, or a manifest row) is raised.

    Returns:
        ``(images, owner)``: ``images`` ``(M, S, S, 3)`` uint8 in item order and ``owner``
        ``(M,)`` int64, the item each image came from.
    """
    check_on_bad_image(on_bad_image)
    results: list[np.ndarray | None] = [None] * len(items)
    errors: list[BadImageError | None] = [None] * len(items)
    stop = threading.Event()

    def run(chunk: range) -> None:
        for i in chunk:
            if stop.is_set():
                return
            try:
                results[i] = decode(items[i])
            except BadImageError as err:
                if on_bad_image == "raise":
                    stop.set()
                    raise BadImageError(names[i], err.reason) from None
                errors[i] = err

    n_workers = min(worker_count(workers), max(1, len(items)))
    step = max(1, -(-len(items) // (n_workers * 8)))
    chunks = [range(i, min(i + step, len(items))) for i in range(0, len(items), step)]
    if n_workers == 1:
        for chunk in chunks:
            run(chunk)
    else:
        with ThreadPoolExecutor(n_workers) as pool:
            for future in [pool.submit(run, chunk) for chunk in chunks]:
                future.result()
    for i, err in enumerate(errors):
        if err is not None:
            summary.skip(names[i], err.reason)
    kept = [r for r in results if r is not None]
    owner = np.repeat(
        np.arange(len(items), dtype=np.int64),
        [0 if r is None else len(r) for r in results],
    )
    if not kept:
        return np.zeros((0, image_size, image_size, 3), dtype=np.uint8), owner
    return np.concatenate(kept, axis=0), owner
