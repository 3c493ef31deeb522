"""Augmentation on the device: each torch family matches its NumPy family's statistics, the
preset draws per image and repeats for a seed, and a smoke train runs with data on the device."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from toy_sign import toy_sign

from crowdsign.augment import FAMILIES
from crowdsign.augment.device import DEVICE_FAMILIES, device_train_preset

N = 48


@pytest.fixture(scope="module")
def signs() -> np.ndarray:
    return np.stack([toy_sign(64, rng=np.random.default_rng(i)) for i in range(N)])


def nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()


def summary(out: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Per-channel mean and std over the batch, and the mean absolute change."""
    out = out.astype(np.float32)
    change = np.abs(out - before).mean()
    return np.concatenate([out.mean((0, 1, 2)), out.std((0, 1, 2)), [change]])


@pytest.mark.parametrize("severity", [1.0, 3.0])
@pytest.mark.parametrize("family", sorted(DEVICE_FAMILIES))
def test_torch_family_matches_numpy_statistics(signs, family, severity):
    fn = FAMILIES[family].fn
    ref = np.stack([fn(im, severity, np.random.default_rng(i)) for i, im in enumerate(signs)])
    dev = DEVICE_FAMILIES[family](
        nchw(signs).float(), torch.full((N,), severity), torch.Generator().manual_seed(0)
    )
    assert dev.shape == (N, 3, 64, 64)
    expected, got = summary(ref, signs), summary(dev.permute(0, 2, 3, 1).numpy(), signs)
    assert expected[-1] > 2.0  # the family changes the images at this severity
    # means and spreads within 2.5 grey levels, the mean change within 25 %
    np.testing.assert_allclose(got[:-1], expected[:-1], atol=2.5)
    np.testing.assert_allclose(got[-1], expected[-1], rtol=0.25)


def test_severity_zero_is_the_identity_and_severities_differ_per_image(signs):
    x = nchw(signs[:4]).float()
    for family, fn in DEVICE_FAMILIES.items():
        if family == "jpeg":  # the codec skips at quality 100 only
            continue
        out = fn(x.clone(), torch.zeros(4), torch.Generator().manual_seed(0))
        assert (out - x).abs().max() <= 1.0, family
    mixed = DEVICE_FAMILIES["fog"](x.clone(), torch.tensor([0.0, 4.0, 0.0, 4.0]), torch.Generator())
    assert torch.equal(mixed[0], x[0]) and not torch.equal(mixed[1], x[1])


def test_preset_repeats_for_a_seed_and_draws_per_image(signs):
    preset = device_train_preset(preset="heavy", image_size=64)
    same = nchw(np.repeat(signs[:1], 64, axis=0))  # one image, 64 times

    def run(seed: int) -> torch.Tensor:
        return preset(same, torch.Generator().manual_seed(seed))

    a, b, c = run(0), run(0), run(1)
    assert a.dtype == torch.uint8 and a.shape == same.shape
    assert torch.equal(a, b) and not torch.equal(a, c)
    distinct = {bytes(img.numpy().tobytes()) for img in a}
    assert len(distinct) > 32  # per-image, not per-batch, randomness


def test_preset_reads_the_numpy_stages_and_resizes():
    default = device_train_preset(preset="default", image_size=32)
    families = {f for step in default.steps for f in getattr(step, "families", ())}
    assert families == set(DEVICE_FAMILIES)  # every family of the preset but stickers
    none = device_train_preset(preset="none", image_size=32)
    images = nchw(np.stack([toy_sign(64)] * 2))
    out = none(images, torch.Generator())
    assert out.shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match="uint8"):
        none(images.float(), torch.Generator())


def test_smoke_train_with_data_on_device_runs_and_repeats(make_cfg):
    from crowdsign.pipeline import train

    overrides = ["debug=smoke", "trainer.data_on_device=true", "augment=default"]
    cfg = make_cfg("train", overrides)
    first = train(cfg)
    history = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())["history"]
    assert len(history) == 2 and history[0]["train/steps"] == 256 // 32
    assert all(np.isfinite(h["train/loss"]) for h in history)
    second = train(make_cfg("train", overrides, out="again"))
    for key in ("test/accuracy", "test/ece", "val/best_balanced_accuracy"):
        assert first[key] == second[key], key


def test_transforms_without_a_device_version_are_refused_clearly():
    import albumentations as A

    from crowdsign.augment.device.preset import device_steps

    with pytest.raises(ValueError, match="Affine has no device version"):
        device_steps([A.Affine(rotate=(-5, 5), p=1.0)])
    with pytest.raises(ValueError, match="data_on_device=false"):
        device_train_preset(image_size=32, contrast="clahe")
