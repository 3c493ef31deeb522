"""Build a source's :class:`Splits` from its ``data`` config, with the study-level keys applied.

Every ``data`` config carries three keys no loader reads itself:

- ``train_size``: the nested, stratified train subset (:func:`~crowdsign.data.splits.nested_subset`);
- ``subset_seed``: which subset (``${seed}`` by default), apart from ``split_seed``,
  which must stay fixed so that every run is scored on the same test images;
- ``gold_size``: validation images with truth bought as a gold set (model selection with
  ``trainer.selection=gold``); counted and priced as labeled data by the training run.
"""

from __future__ import annotations

from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from crowdsign.data.imageset import Splits
from crowdsign.data.splits import apply_train_size

STUDY_KEYS = ("train_size", "subset_seed", "gold_size")
# data keys renamed in issue 14 (one meaning per name): old -> new
RENAMED = {"seed": "split_seed", "workers": "decode_workers"}


def load_splits(data: DictConfig | dict[str, Any]) -> Splits:
    """Instantiate the source without the study keys, then apply ``train_size``.

    ``subset_seed`` falls back to the source's ``split_seed`` (checkpoints from before it existed).
    """
    node = OmegaConf.to_container(data, resolve=True) if OmegaConf.is_config(data) else dict(data)
    assert isinstance(node, dict)
    for old, new in RENAMED.items():  # a checkpoint saved before the keys were renamed
        if old in node and new not in node:
            node[new] = node.pop(old)
    train_size = node.pop("train_size", None)
    subset_seed = node.pop("subset_seed", node.get("split_seed", 0))
    node.pop("gold_size", None)
    splits = instantiate(node)
    return apply_train_size(splits, train_size, int(subset_seed))
