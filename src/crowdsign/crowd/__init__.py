"""Crowd answers: the canonical table, simulated pools, export readers, aggregation, cost."""

from crowdsign.crowd.answers import CodedAnswers, CrowdLabels, LoadSummary, check_answers, encode

__all__ = ["CodedAnswers", "CrowdLabels", "LoadSummary", "check_answers", "encode"]
