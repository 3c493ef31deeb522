"""Crowd export readers and writers: MTurk CSV, Toloka TSV, Label Studio JSON, long tables.

Every reader is ``read_<format>(images=None, *, path, <format fields>, cost=None, **options)``
and returns :class:`~crowdsign.crowd.answers.CrowdLabels`; ``options`` are
:class:`ReadOptions` (image root and reference rule, label vocabulary, ``on_error``,
encoding). The training pipeline builds one from the ``crowd`` config with ``_partial_: true``
and calls it with the train split. Every writer is ``write_<format>(answers, path, ...)``;
reading a written file gives the same answer table back.
"""

from crowdsign.crowd.io.common import CrowdFormatError, ReadOptions
from crowdsign.crowd.io.labelstudio import read_labelstudio, write_labelstudio
from crowdsign.crowd.io.long import read_long, write_long
from crowdsign.crowd.io.mturk import read_mturk, write_mturk
from crowdsign.crowd.io.toloka import read_toloka, write_toloka

__all__ = [
    "CrowdFormatError",
    "ReadOptions",
    "read_labelstudio",
    "read_long",
    "read_mturk",
    "read_toloka",
    "write_labelstudio",
    "write_long",
    "write_mturk",
    "write_toloka",
]
