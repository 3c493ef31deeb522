"""The test suite's toy data, for the benchmarks: ``tests/`` holds the one copy.

- ``toy_sign(size, rng=...)``: a drawn stop sign (``tests/toy_sign.py``);
- ``synthetic_crowd(...)``: answers from known worker confusions (``tests/toy_crowd.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if TESTS not in sys.path:  # benchmarks run as scripts; the helpers live beside the tests
    sys.path.append(TESTS)

from toy_crowd import synthetic_crowd  # noqa: E402
from toy_sign import toy_sign  # noqa: E402

__all__ = ["synthetic_crowd", "toy_sign"]
