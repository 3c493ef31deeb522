"""Markdown tables: the one helper every report writes its tables with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(header: Sequence[object], rows: Iterable[Sequence[object]], align: str = "") -> list[str]:
    """The lines of a Markdown table; cells are written with ``str``.

    Args:
        header: the column names.
        rows: one sequence of cells per row, as long as ``header``.
        align: one letter per column, ``l`` (left) or ``r`` (right); by default the first
            column is left-aligned and the others right-aligned (a label, then numbers).
    """
    align = align or "l" + "r" * (len(header) - 1)
    if len(align) != len(header):
        raise ValueError(f"align {align!r} has {len(align)} letters for {len(header)} columns")
    rule = "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"
    return [_row(header), rule, *(_row(r) for r in rows)]


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"
