"""The labeling loop: which images get the next paid answers, within a budget.

- :mod:`.assess`: per image, the aggregator's label, a one-coin posterior, the expected gain of
  one more answer and whether the image is settled; per worker, accuracy and spam flags.
- :mod:`.strategy`: :class:`AdaptiveStrategy` (selective repeated labeling by expected gain)
  and :class:`UniformStrategy` (k answers per image).
- :mod:`.oracle` and :mod:`.loop`: reveal a past export's answers one request at a time.
- :mod:`.replay`: the replay of a past project per strategy and budget.
- :mod:`.batch` and :mod:`.upload`: the next batch to buy and the platform upload file.
"""

from crowdsign.crowd.active.assess import Assessment, assess
from crowdsign.crowd.active.errors import LabelError
from crowdsign.crowd.active.loop import LoopResult, LoopSetup, run_loop
from crowdsign.crowd.active.oracle import ReplayOracle
from crowdsign.crowd.active.strategy import AdaptiveStrategy, UniformStrategy

__all__ = [
    "AdaptiveStrategy",
    "Assessment",
    "LabelError",
    "LoopResult",
    "LoopSetup",
    "ReplayOracle",
    "UniformStrategy",
    "assess",
    "run_loop",
]
