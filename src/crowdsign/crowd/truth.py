"""The source's own labels in place of whatever crowd is configured: a benchmark's upper bound."""

from __future__ import annotations

from typing import Any

from crowdsign.crowd.answers import CrowdLabels
from crowdsign.crowd.simulate import source_labels
from crowdsign.data.imageset import ImageSet


def true_labels(images: ImageSet, **ignored: Any) -> CrowdLabels:
    """One right answer per image from ``images.truth``; the crowd settings in ``ignored`` are
    not read (``robust=clean`` swaps any crowd for this, so one sweep axis holds the bound)."""
    return source_labels(images)
