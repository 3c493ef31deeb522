"""Label aggregation: crowd-kit's API, vectorised torch internals.

``from crowdsign.crowd.aggregate import MajorityVote, Wawa, DawidSkene, OneCoinDawidSkene, GLAD``
— each estimator has ``fit(answers)``, ``fit_predict``, ``fit_predict_proba`` and, for the
training pipeline, ``fit_codes(CodedAnswers, gold=None)`` with ``posteriors_`` (soft targets),
``hard_labels()`` and ``worker_skills_``.
"""

from crowdsign.crowd.aggregate.base import Aggregator
from crowdsign.crowd.aggregate.dawid_skene import DawidSkene, OneCoinDawidSkene
from crowdsign.crowd.aggregate.glad import GLAD
from crowdsign.crowd.aggregate.majority import MajorityVote, Wawa

__all__ = ["GLAD", "Aggregator", "DawidSkene", "MajorityVote", "OneCoinDawidSkene", "Wawa"]
