"""The one place that maps a source's own classes onto the task's classes.

``task="binary"`` folds every source into ``("not_stop", "stop")`` so a binary checkpoint scores
on any source; ``task="multiclass"`` keeps the source's classes as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from crowdsign.errors import ConfigError

BINARY_CLASSES: tuple[str, str] = ("not_stop", "stop")
TASKS = ("binary", "multiclass")


def check_task(task: str) -> str:
    """Return ``task`` if it is a known task, else raise ``ValueError`` listing the known ones."""
    if task not in TASKS:
        raise ConfigError(f"task={task!r} is not a task; pass task=<one of {', '.join(TASKS)}>")
    return task


def stop_indices(
    source_classes: Sequence[str], stop_classes: Iterable[str | int], *, source: str
) -> np.ndarray:
    """Indices into ``source_classes`` of the classes that count as a stop sign.

    ``stop_classes`` holds class names, or integer positions in ``source_classes`` (GTSRB's class
    ids). Raises ``ValueError`` naming ``source`` and the known classes when one is unknown.
    """
    found = []
    for cls in stop_classes:
        if isinstance(cls, str) and cls in source_classes:
            found.append(list(source_classes).index(cls))
        elif isinstance(cls, int | np.integer) and 0 <= int(cls) < len(source_classes):
            found.append(int(cls))
        else:
            raise ConfigError(
                f"{source}: stop class {cls!r} is not one of its classes "
                f"{list(source_classes)[:50]}; set data.stop_classes"
            )
    return np.unique(np.asarray(found, dtype=np.int64))


def map_task(
    labels: np.ndarray,
    source_classes: Sequence[str],
    *,
    task: str,
    stop_classes: Iterable[str | int],
    source: str,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map source labels to task labels.

    Args:
        labels: ``(N,)`` int, indices into ``source_classes``.
        source_classes: the source's own class names.
        task: ``"binary"`` or ``"multiclass"``.
        stop_classes: names or positions of the source classes that count as stop (binary only).
        source: the source's name, for error messages.

    Returns:
        ``(truth, class_names)``: ``truth`` ``(N,)`` int64 indexing ``class_names``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if check_task(task) == "multiclass":
        return labels, tuple(source_classes)
    is_stop = np.zeros(len(source_classes), dtype=np.int64)
    is_stop[stop_indices(source_classes, stop_classes, source=source)] = 1
    return is_stop[labels], BINARY_CLASSES
