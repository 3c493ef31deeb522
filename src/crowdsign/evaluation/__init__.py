"""Evaluation: metrics against truth, reports, robustness and scaling studies."""
