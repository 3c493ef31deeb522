"""The data config group: each real source composes and instantiates through Hydra."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hydra.errors import ConfigCompositionException
from test_data_coco import write_coco
from test_data_folder import write_tree
from test_data_gtsrb import write_gtsrb
from test_data_manifest import manifest

from crowdsign.data.load import load_splits


@pytest.mark.parametrize("source", ["gtsrb", "folder", "coco", "manifest"])
def test_each_source_instantiates_from_config(make_cfg, tmp_path, source):
    if source == "gtsrb":
        overrides = [f"data.root={write_gtsrb(tmp_path / 'g')}", "data.image_size=8"]
    elif source == "folder":
        overrides = [f"data.root={write_tree(tmp_path / 'f', {'stop': 6, 'not': 6})}"]
    elif source == "coco":
        root = write_coco(tmp_path / "c", photos=6)
        overrides = [f"data.root={root}", "data.annotations=ann.json", "data.images=images"]
    else:
        overrides = [f"data.path={manifest(tmp_path, 12)[0]}"]
    cfg = make_cfg(
        "train", [f"data={source}", "data.decode_workers=1", "data.train_size=0.5", *overrides]
    )
    splits = load_splits(cfg.data)
    assert splits.class_names == ("not_stop", "stop")
    assert splits.train.images.dtype == np.uint8 and len(splits.train) > 0
    assert json.dumps(splits.summary.to_dict())  # the pipeline can write the load summary


def test_gtsrb_root_defaults_to_the_shared_copy(make_cfg, monkeypatch):
    monkeypatch.delenv("CROWDSIGN_GTSRB", raising=False)
    cfg = make_cfg("train", ["data=gtsrb"])
    assert cfg.data.root.endswith("/../shared/data/gtsrb")
    monkeypatch.setenv("CROWDSIGN_GTSRB", "/data/gtsrb")
    assert make_cfg("train", ["data=gtsrb"]).data.root == "/data/gtsrb"


@pytest.mark.parametrize("override", ["data.on_bad_imag=skip", "data.context=wide"])
def test_typos_fail_at_compose_time(make_cfg, override):
    source = "coco" if "context" in override else "gtsrb"
    with pytest.raises(ConfigCompositionException):
        make_cfg("train", [f"data={source}", override])


def test_a_checkpoints_data_node_with_the_old_key_names_still_loads(make_cfg, tmp_path):
    """Runs saved before issue 14 hold ``seed`` and ``workers`` where ``split_seed`` and
    ``decode_workers`` are now; evaluate.py rebuilds their data from that node."""
    root = write_tree(tmp_path / "f", {"stop": 6, "not": 6})
    cfg = make_cfg("train", ["data=folder", f"data.root={root}", "data.split_seed=3"])
    new = dict(cfg.data) | {"decode_workers": 1}
    old = {("seed" if k == "split_seed" else k): v for k, v in new.items()}
    old["workers"] = old.pop("decode_workers")
    old.pop("subset_seed")  # older still: no subset_seed, the split seed stood for it
    a, b = load_splits(new), load_splits(old)
    assert list(a.test.image_id) == list(b.test.image_id)
    assert list(a.train.image_id) == list(b.train.image_id)
