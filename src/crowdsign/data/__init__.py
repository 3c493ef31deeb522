"""Image sources. Each source is a function returning :class:`Splits`, named by ``_target_``."""

from crowdsign.data.imageset import ImageSet, Splits

__all__ = ["ImageSet", "Splits"]
