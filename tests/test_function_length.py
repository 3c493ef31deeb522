"""Functions you read at once: none in ``src/crowdsign`` runs over 60 lines (decorators and
docstring included). ``python tests/test_function_length.py`` lists the longest."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "crowdsign"
MAX_LINES = 60


def function_lengths(root: Path = SRC) -> list[tuple[int, str]]:
    """``(lines, "path:line name")`` of every function and method, longest first."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                found.append((lines, f"{path.relative_to(root)}:{node.lineno} {node.name}"))
    return sorted(found, reverse=True)


def test_no_function_is_longer_than_60_lines():
    long = [f"{n} lines: {where}" for n, where in function_lengths() if n > MAX_LINES]
    assert not long, "split into named steps:\n" + "\n".join(long)


def test_the_check_measures_what_it_says(tmp_path):
    (tmp_path / "m.py").write_text(
        "def short():\n    return 1\n\n\ndef long():\n" + "    x = 1\n" * 61
    )
    assert function_lengths(tmp_path) == [(62, "m.py:5 long"), (2, "m.py:1 short")]


if __name__ == "__main__":
    for n, where in function_lengths()[: int(sys.argv[1]) if len(sys.argv) > 1 else 20]:
        print(f"{n:4d}  {where}")
