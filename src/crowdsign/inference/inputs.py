"""What ``predict`` reads: a file, a folder (recursively), a glob pattern, or a list of them."""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from crowdsign.data.decode import IMAGE_EXTENSIONS
from crowdsign.errors import MissingInputError

log = logging.getLogger(__name__)

GLOB_CHARS = frozenset("*?[")


def _is_image(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _walk(folder: Path) -> list[str]:
    """Image files under ``folder``, depth first in sorted order; other files are ignored."""
    found, ignored = [], 0
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if _is_image(name):
                found.append(os.path.join(root, name))
            else:
                ignored += 1
    if ignored:
        log.info("%s: ignored %d file(s) without an image extension", folder, ignored)
    return found


def resolve_inputs(inputs: str | os.PathLike | Iterable[str | os.PathLike]) -> list[str]:
    """The image paths named by ``inputs``, in a stable order, each once.

    A file is taken as given (even without an image extension: reading it decides); a folder
    contributes every file with an image extension (:data:`IMAGE_EXTENSIONS`) below it; a
    pattern with ``*``, ``?`` or ``[`` is a glob (``**`` recursive) of image files. Only paths
    are held, never pixels, so a large folder costs a few bytes per file here.

    Raises:
        FileNotFoundError: an entry matches nothing, or all of them together name no image.
    """
    entries = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    paths: list[str] = []
    for entry in map(os.fspath, entries):
        if os.path.isfile(entry):
            paths.append(entry)
        elif os.path.isdir(entry):
            paths.extend(_walk(Path(entry)))
        elif GLOB_CHARS & set(entry):
            matches = sorted(
                p for p in glob.iglob(entry, recursive=True) if os.path.isfile(p) and _is_image(p)
            )
            if not matches:
                raise MissingInputError(f"no image file matches the pattern {entry!r}")
            paths.extend(matches)
        else:
            raise MissingInputError(f"input not found: {entry}")
    unique = list(dict.fromkeys(paths))
    if not unique:
        raise MissingInputError(
            f"no image files in {', '.join(map(os.fspath, entries))} "
            f"(looked for {', '.join(IMAGE_EXTENSIONS)})"
        )
    return unique
