"""A contact sheet of the most and least confident stop predictions, kept while streaming."""

from __future__ import annotations

import heapq
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TILE = 128  # px per thumbnail on the sheet: room for ~21 caption characters
CAPTION = 26  # px of caption under each thumbnail: p_stop, then the file name
TITLE = 20  # px of the title over each row


@dataclass
class ExtremeStops:
    """Keep the ``k`` highest and ``k`` lowest p(stop) among images predicted stop.

    Memory is ``2k`` thumbnails whatever the number of images: two bounded heaps.
    """

    k: int
    _high: list[tuple[float, int, str, np.ndarray]] = field(default_factory=list)
    _low: list[tuple[float, int, str, np.ndarray]] = field(default_factory=list)
    _seen: int = 0

    def add(self, p_stop: float, path: str, image: np.ndarray) -> None:
        """Offer one stop prediction: ``p_stop`` its probability, ``image`` ``(S, S, 3)``."""
        if self.k <= 0:
            return
        self._seen += 1
        for heap, key in ((self._high, p_stop), (self._low, -p_stop)):
            item = (key, -self._seen, path, image)  # ties: the earlier image wins
            if len(heap) < self.k:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)

    @property
    def most(self) -> list[tuple[str, float, np.ndarray]]:
        """``(path, p_stop, image)``, most confident first."""
        return [(p, key, im) for key, _, p, im in sorted(self._high, reverse=True)]

    @property
    def least(self) -> list[tuple[str, float, np.ndarray]]:
        """``(path, p_stop, image)``, least confident first."""
        return [(p, -key, im) for key, _, p, im in sorted(self._low, reverse=True)]

    def __len__(self) -> int:
        return self._seen


def render_sheet(extremes: ExtremeStops, path: Path) -> Path | None:
    """Write the most, then the least confident stop predictions (one row of all of them when
    there are at most ``k``) as a PNG; ``None`` and no file when nothing was predicted stop.
    Captions give p(stop) and the end of the file's path."""
    if not len(extremes):
        return None
    most = extremes.most
    if len(extremes) <= extremes.k:
        rows = [(f"all {len(extremes)} stop predictions, most confident first", most)]
    else:
        shown = {name for name, _, _ in most}
        least = [item for item in extremes.least if item[0] not in shown]
        rows = [
            (f"most confident of {len(extremes)} stop predictions (p_stop high)", most),
            ("least confident stop predictions (p_stop low)", least),
        ]
    width = max(extremes.k * TILE, 480)
    height = len(rows) * (TITLE + TILE + CAPTION)
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    y = 0
    for title, items in rows:
        draw.text((4, y + 4), title, fill="black", font=font)
        y += TITLE
        for i, (name, p_stop, image) in enumerate(items):
            tile = Image.fromarray(image).resize((TILE, TILE), Image.Resampling.NEAREST)
            sheet.paste(tile, (i * TILE, y))
            x = i * TILE + 2
            draw.text((x, y + TILE + 1), f"p_stop {p_stop:.3f}", fill="black", font=font)
            tail = os.path.join(*Path(name).parts[-2:])[-21:]  # folder/file: GTSRB reuses names
            draw.text((x, y + TILE + 13), tail, fill="black", font=font)
        y += TILE + CAPTION
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path
