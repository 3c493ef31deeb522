"""Crowd answers: the canonical table, simulated pools, export readers, aggregation, cost."""

from crowdsign.crowd.answers import CodedAnswers, CrowdLabels, check_answers, encode
from crowdsign.data.summary import LoadSummary

__all__ = ["CodedAnswers", "CrowdLabels", "LoadSummary", "check_answers", "encode"]
