"""Per-image contrast normalisation: the last step of both presets, so train and eval match.

GTSRB photos range from near-black dusk frames to washed-out glare; the classic recipes
normalise each image's contrast before the network (Sermanet & LeCun 2011: local and global
contrast normalisation; Cireşan et al. 2012: histogram equalisation / CLAHE variants). Applied
*after* the resize to the model's side, so an image cached at that side and a file resized once
give the same pixels.

- ``none``: the image as it is.
- ``clahe``: contrast-limited adaptive histogram equalisation of the LAB lightness (colour kept),
  clip limit 2, a 4 × 4 tile grid (tiles of 8–12 px at 32–48 px).
- ``stretch``: one linear map of all three channels that sends the 1st and 99th percentile of
  the lightness to 0 and 255 (global contrast normalisation, hue kept).
"""

from __future__ import annotations

from typing import Any

import albumentations as A
import cv2
import numpy as np

CONTRAST = ("none", "clahe", "stretch")


def check_contrast(kind: str) -> str:
    if kind not in CONTRAST:
        raise ValueError(f"augment.contrast={kind!r}; expected one of {CONTRAST}")
    return kind


def clahe(image: np.ndarray, clip_limit: float = 2.0, tiles: int = 4) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB → the same with CLAHE on the LAB lightness channel."""
    lab = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2LAB)
    equalizer = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles))
    lab[..., 0] = equalizer.apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def stretch(image: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB → lightness percentiles ``low``/``high`` mapped to 0/255."""
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    lo, hi = np.percentile(grey, (low, high))
    if hi - lo < 1.0:  # a flat image: nothing to stretch
        return image.copy()
    lut = np.clip((np.arange(256, dtype=np.float32) - lo) * (255.0 / (hi - lo)), 0, 255)
    return cv2.LUT(image, np.rint(lut).astype(np.uint8))


class ContrastNormalize(A.ImageOnlyTransform):
    """Deterministic per-image contrast normalisation (``kind`` in :data:`CONTRAST`)."""

    def __init__(self, kind: str = "none", p: float = 1.0):
        super().__init__(p=p)
        self.kind = check_contrast(kind)

    def apply(self, img: np.ndarray, **params: Any) -> np.ndarray:
        if self.kind == "clahe":
            return clahe(img)
        if self.kind == "stretch":
            return stretch(img)
        return img

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("kind",)
