"""The embedded synthetic stop-sign world (no download)."""

from crowdsign.data.synthetic.world import CLASSES, load_synthetic

__all__ = ["CLASSES", "load_synthetic"]
