"""Errors for people, tracebacks for bugs.

A mistake in what the user gave — a config value, a file, a row of an export, a checkpoint —
raises a :class:`UserError` whose message names the thing and says what to do. The entry points
(``train.py``, ``evaluate.py``, ``predict.py``, ``export.py`` and their console scripts) run
inside :func:`exit_on_user_error`, which prints that message as one line on stderr and exits
with status 2. Any other exception is a bug and keeps its traceback; ``HYDRA_FULL_ERROR=1``
shows the traceback of a user error too.

The subclasses also derive from the built-in type a caller would expect (``ValueError``,
``FileNotFoundError``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_USER_ERROR = 2

log = logging.getLogger("crowdsign")


class UserError(Exception):
    """A mistake in what the user gave; its message is shown as one line, exit status 2."""


class ConfigError(UserError, ValueError):
    """A config value that cannot work (out of range, not one of the choices, contradictory)."""


class InputError(UserError, ValueError):
    """A file the user named that cannot be used as given (corrupt, truncated, wrong columns)."""


class MissingInputError(UserError, FileNotFoundError):
    """A file or folder the user named that does not exist."""


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (newlines folded into ``; ``)."""
    parts = [p.strip() for p in str(exc).splitlines() if p.strip()]
    return "; ".join(parts) or type(exc).__name__


def user_error_in(exc: BaseException) -> UserError | None:
    """``exc`` or the first :class:`UserError` it was raised from (``hydra.utils.instantiate``
    wraps what a ``_target_`` raises in an ``InstantiationException``), else ``None``."""
    while exc is not None and not isinstance(exc, UserError):
        exc = exc.__cause__
    return exc


@contextmanager
def exit_on_user_error() -> Iterator[None]:
    """Turn a :class:`UserError` into ``error: <message>`` on stderr and exit status 2.

    Anything else propagates unchanged (a bug: Hydra prints its traceback). With
    ``HYDRA_FULL_ERROR=1`` a user error propagates too, traceback and all.
    """
    try:
        yield
    except Exception as raised:
        exc = user_error_in(raised)
        if exc is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        message = one_line(exc)
        # the run's log file keeps it too (Hydra's file handler); the console gets one line
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.FileHandler):
                handler.handle(log.makeRecord(log.name, logging.ERROR, "", 0, message, (), None))
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USER_ERROR) from None
