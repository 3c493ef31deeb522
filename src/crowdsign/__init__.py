"""crowdsign: train stop-sign CNNs from crowd-labeled images."""

__version__ = "0.1.0"
