"""Run a Hydra entry point in this process, as its console script would, and capture it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from hydra.core.global_hydra import GlobalHydra


@dataclass
class Outcome:
    code: int  # exit status: 0, or what SystemExit carried
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def run_main(main: Callable[[], object], argv: list[str], capsys) -> Outcome:
    """Call a ``@hydra.main`` function with ``argv`` as its command line."""
    GlobalHydra.instance().clear()
    saved = sys.argv
    sys.argv = ["crowdsign", *argv]
    code = 0
    try:
        main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.argv = saved
        GlobalHydra.instance().clear()
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)
