"""Label aggregation: crowd-kit's API, vectorised torch internals.

``from crowdsign.crowd.aggregate import MajorityVote`` — each estimator has ``fit(answers)``,
``fit_predict``, ``fit_predict_proba`` and, for the training pipeline, ``fit_codes(CodedAnswers)``.
"""

from crowdsign.crowd.aggregate.base import Aggregator
from crowdsign.crowd.aggregate.majority import MajorityVote

__all__ = ["Aggregator", "MajorityVote"]
