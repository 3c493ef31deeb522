"""The labeling loop's user-error type: caught by ``label.py``, printed as one line, exit 2."""

from __future__ import annotations


class LabelError(ValueError):
    """A bad budget, batch, truth file or export: one line naming the value and the fix."""
