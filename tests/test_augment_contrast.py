"""Contrast normalisation: the last step of the train and the eval preset alike."""

from __future__ import annotations

import numpy as np
import pytest

from crowdsign.augment import eval_preset, eval_preset_for, train_preset
from crowdsign.augment.contrast import clahe, stretch
from crowdsign.data.decode import resize


def _dim(h: int = 45, w: int = 37, seed: int = 0) -> np.ndarray:
    """A dark, low-contrast photo-like image with some structure."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(10, 50, w, dtype=np.float32)[None, :, None]
    noise = rng.normal(0, 4, (h, w, 3))
    return np.clip(ramp + noise, 0, 255).astype(np.uint8)


def test_stretch_spreads_a_dim_image_and_keeps_a_flat_one():
    out = stretch(_dim())
    assert out.dtype == np.uint8 and out.shape == (45, 37, 3)
    assert np.percentile(out, 99) > 240 and np.percentile(out, 1) < 15
    flat = np.full((8, 8, 3), 77, np.uint8)
    np.testing.assert_array_equal(stretch(flat), flat)


def test_clahe_raises_the_contrast_of_a_dim_image_deterministically():
    image = _dim()
    out = clahe(image)
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert out.std() > 1.3 * image.std() and out.mean() > image.mean() + 10
    np.testing.assert_array_equal(out, clahe(image))


@pytest.mark.parametrize("kind", ["clahe", "stretch"])
def test_eval_preset_is_resize_then_contrast_and_train_ends_the_same(kind):
    image = _dim()
    fn = {"clahe": clahe, "stretch": stretch}[kind]
    want = fn(resize(image, 32))
    np.testing.assert_array_equal(eval_preset(image_size=32, contrast=kind)(image), want)
    # a train preset without augmentation ends exactly as the eval preset does
    np.testing.assert_array_equal(
        train_preset(preset="none", image_size=32, contrast=kind)(image, seed=5), want
    )
    # a checkpoint's config names its eval preset; configs from before `contrast` mean none
    config = {"data": {"image_size": 32}, "augment": {"contrast": kind}}
    np.testing.assert_array_equal(eval_preset_for(config)(image), want)
    old = eval_preset_for({"data": {"image_size": 32}, "augment": {"preset": "default"}})
    np.testing.assert_array_equal(old(image), resize(image, 32))


def test_unknown_contrast_is_refused():
    with pytest.raises(ValueError, match="augment.contrast='sharpen'"):
        eval_preset(image_size=32, contrast="sharpen")


def test_signs_preset_moves_the_sign_a_little_and_never_mirrors_it():
    # left half dark, right half bright: a mirror would swap them
    image = np.zeros((32, 32, 3), np.uint8)
    image[:, 16:] = 200
    preset = train_preset(preset="signs", image_size=32)
    outs = [preset(image, seed=s) for s in range(40)]
    assert any(not np.array_equal(o, outs[0]) for o in outs[1:])
    for o in outs:
        assert o[:, 24:].mean() > o[:, :8].mean()
