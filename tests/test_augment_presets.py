"""Train/eval presets: shape and dtype, seeding, independent stages, pickling, config group."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import CONFIG_DIR
from omegaconf import OmegaConf
from toy_sign import toy_sign

from crowdsign.augment import PRESETS, FamilyTransform, Preset, eval_preset, train_preset
from crowdsign.augment.corruptions import corrupt_batch, image_seeds


def sign(size: int = 64, seed: int = 0) -> np.ndarray:
    return toy_sign(size, rng=np.random.default_rng(seed))


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("size", [32, 64, 128])
def test_presets_keep_dtype_and_end_at_the_requested_size(preset, size):
    t = train_preset(preset=preset, image_size=size)
    for source in (size, 48):  # already at size, and resized by the preset
        image = sign(source)
        before = image.copy()
        for seed in range(6):
            out = t(image, seed=seed)
            assert out.shape == (size, size, 3) and out.dtype == np.uint8
            assert out.flags.c_contiguous and out.flags.writeable
            assert not np.shares_memory(out, image)
        np.testing.assert_array_equal(image, before)


@pytest.mark.parametrize("preset", ["light", "default", "heavy"])
def test_same_seed_same_output_and_seeds_differ(preset):
    t = train_preset(preset=preset, image_size=64)
    image = sign()
    outputs = [t(image, seed=s) for s in range(12)]
    np.testing.assert_array_equal(outputs[3], t(image, seed=3))
    assert len({o.tobytes() for o in outputs}) >= 8
    # interleaving other calls does not change a seed's result
    t(sign(seed=1), seed=99)
    np.testing.assert_array_equal(outputs[5], t(image, seed=5))


def test_none_preset_and_eval_preset_are_resize_only():
    image = sign(64)
    np.testing.assert_array_equal(train_preset(preset="none", image_size=64)(image, seed=3), image)
    np.testing.assert_array_equal(eval_preset(image_size=64)(image), image)
    up = eval_preset(image_size=64)(sign(32))
    assert up.shape == (64, 64, 3)


def test_stages_draw_independently():
    """Each transform gets its own draws (``A.Compose.set_random_seed`` would nest them)."""
    first = FamilyTransform("overexposure", p=0.5)
    second = FamilyTransform("night", p=0.15)
    t = Preset([first, second], name="probe")
    image = sign(32)
    applied = []
    for seed in range(400):
        t(image, seed=seed)
        applied.append((bool(first.params), bool(second.params)))
    applied = np.array(applied)
    assert 0.4 < applied[:, 0].mean() < 0.6 and 0.08 < applied[:, 1].mean() < 0.22
    only_second = (~applied[:, 0] & applied[:, 1]).mean()  # 0.5 * 0.15 if independent
    assert 0.03 < only_second < 0.13


def test_family_transform_draws_each_family_of_a_stage():
    t = FamilyTransform(("fog", "rain", "snow"), severity=(1.0, 2.0), p=1.0)
    preset = Preset([t], name="probe")
    chosen = set()
    for seed in range(30):
        preset(sign(32), seed=seed)
        chosen.add(t.families[t.params["index"]])
        assert 1.0 <= t.params["severity"] <= 2.0
    assert chosen == {"fog", "rain", "snow"}


def test_preset_survives_pickling_for_loader_workers():
    t = train_preset(preset="heavy", image_size=64)
    clone = pickle.loads(pickle.dumps(t))
    image = sign()
    for seed in range(5):
        np.testing.assert_array_equal(t(image, seed=seed), clone(image, seed=seed))


def test_no_flip_by_default_and_hflip_flips_some():
    image = sign()
    flipped = np.ascontiguousarray(image[:, ::-1])
    plain = train_preset(preset="none", image_size=64)
    assert not any(np.array_equal(plain(image, seed=s), flipped) for s in range(20))
    flips = train_preset(preset="none", image_size=64, hflip=True)
    hits = sum(np.array_equal(flips(image, seed=s), flipped) for s in range(20))
    assert 3 <= hits <= 17


def test_strength_zero_turns_the_corruptions_off():
    image = sign()
    t = Preset([FamilyTransform(("fog", "night", "scale"), severity=(0.0, 0.0), p=1.0)], name="x")
    np.testing.assert_array_equal(t(image, seed=1), image)
    calm = train_preset(preset="heavy", image_size=64, strength=0.0)
    wild = train_preset(preset="heavy", image_size=64)
    calm_change = np.mean(
        [np.abs(calm(image, seed=s).astype(int) - image).mean() for s in range(8)]
    )
    wild_change = np.mean(
        [np.abs(wild(image, seed=s).astype(int) - image).mean() for s in range(8)]
    )
    assert calm_change < wild_change


@pytest.mark.parametrize(
    "kwargs",
    [
        {"preset": "fancy", "image_size": 64},
        {"preset": "default", "image_size": 64, "strength": -1.0},
    ],
)
def test_train_preset_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        train_preset(**kwargs)


@pytest.mark.parametrize(
    "args", [("smog",), (("fog", "smog"),), ("fog", (2.0, 1.0)), ("fog", (0.0, 6.0))]
)
def test_family_transform_rejects_bad_arguments(args):
    with pytest.raises(ValueError):
        FamilyTransform(*args)


def test_preset_rejects_non_uint8_images():
    with pytest.raises(ValueError, match="HWC uint8"):
        eval_preset(image_size=32)(np.zeros((32, 32, 3), np.float32))


def test_corrupt_batch_matches_per_image_seeds_and_seed_prefixes_are_stable():
    images = np.stack([sign(32, seed=i) for i in range(5)])
    seeds = image_seeds(11, 5)
    np.testing.assert_array_equal(seeds[:3], image_seeds(11, 3))
    full = corrupt_batch(images, "rain", 3, seed=11)
    part = corrupt_batch(images[2:4], "rain", 3, seeds=seeds[2:4])
    np.testing.assert_array_equal(full[2:4], part)
    with pytest.raises(ValueError):
        corrupt_batch(images, "rain", 3, seeds=seeds[:2])


def test_every_augment_yaml_names_its_preset():
    files = sorted((CONFIG_DIR / "augment").glob("*.yaml"))
    assert {f.stem for f in files} == set(PRESETS)
    for f in files:
        assert OmegaConf.load(f).preset == f.stem


def test_augment_config_builds_its_preset(make_cfg):
    cfg = make_cfg("train", ["augment=heavy", "augment.strength=0.5"])
    assert cfg.augment.preset == "heavy" and cfg.augment.hflip is False
    t = train_preset(**cfg.augment, image_size=32)
    assert t(sign(32), seed=0).shape == (32, 32, 3)
