"""albumentations transforms wrapping the corruption families, and a size-aware square resize."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import albumentations as A
import numpy as np

from crowdsign.augment.corruptions import CORRUPTIONS
from crowdsign.augment.family import FAMILIES, MAX_SEVERITY
from crowdsign.data.decode import resize


class FamilyTransform(A.ImageOnlyTransform):
    """Apply one corruption family, drawn uniformly from ``families``, at a random severity.

    ``families`` is one family name or a sequence of them; ``severity`` = (low, high) is the
    range the severity is drawn from uniformly. The choice and the severity come from the
    transform's ``py_random``, the family's placement and direction from its
    ``random_generator``; :class:`crowdsign.augment.presets.Preset` reseeds both per call.
    (One transform choosing among families is ~4× cheaper than ``A.OneOf`` of several, whose
    weighted ``Generator.choice`` alone costs ~10 µs.)
    """

    def __init__(
        self,
        families: str | Sequence[str],
        severity: tuple[float, float] = (0.5, 3.0),
        p: float = 0.5,
    ):
        super().__init__(p=p)
        names = (families,) if isinstance(families, str) else tuple(families)
        unknown = [f for f in names if f not in FAMILIES]
        if not names or unknown:
            raise ValueError(f"unknown corruption(s) {unknown}; known: {', '.join(CORRUPTIONS)}")
        low, high = (float(v) for v in severity)
        if not 0.0 <= low <= high <= MAX_SEVERITY:
            raise ValueError(f"severity range must satisfy 0 <= low <= high <= 5, got {severity}")
        self.families = names
        self.severity = (low, high)
        self._fns = tuple(FAMILIES[f].fn for f in names)

    def get_params(self) -> dict[str, Any]:
        index = self.py_random.randrange(len(self._fns)) if len(self._fns) > 1 else 0
        return {"index": index, "severity": self.py_random.uniform(*self.severity)}

    def apply(
        self, img: np.ndarray, index: int = 0, severity: float = 0.0, **params: Any
    ) -> np.ndarray:
        return self._fns[index](np.ascontiguousarray(img), severity, self.random_generator)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("families", "severity")

    def __repr__(self) -> str:
        return f"FamilyTransform({self.families}, severity={self.severity}, p={self.p})"


class SquareResize(A.ImageOnlyTransform):
    """Resize to ``size`` × ``size`` exactly as the decode cache does
    (:func:`crowdsign.data.decode.resize`: area averaging when shrinking, bilinear when
    enlarging), so a file resized here and a file decoded into the cache at ``size`` are the
    same pixels.

    At the target size it returns a copy, so a preset never hands back (and lets a caller
    write into) its input. ``A.Resize`` takes one interpolation for both directions, and
    INTER_AREA enlarges blockily.
    """

    def __init__(self, size: int, p: float = 1.0):
        super().__init__(p=p)
        if size < 1:
            raise ValueError(f"size must be positive, got {size}")
        self.size = size

    def apply(self, img: np.ndarray, **params: Any) -> np.ndarray:
        h, w = img.shape[:2]
        if h == w == self.size:
            return img.copy()
        return resize(img, self.size)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("size",)
