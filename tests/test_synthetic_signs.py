"""The sign drawers and the scene's camera: shapes, colours and legends as roads show them."""

from __future__ import annotations

import numpy as np
import pytest

from crowdsign.data.synthetic import CLASSES
from crowdsign.data.synthetic.scene import draw_params, render_scene
from crowdsign.data.synthetic.signs import DRAWERS

S = 96


def _draw(kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return DRAWERS[kind](S, np.random.default_rng(seed))


def _masks(rgb: np.ndarray, alpha: np.ndarray) -> dict[str, np.ndarray]:
    """Where the sign is red, white(ish), black and blue."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    on = alpha > 0.99
    return {
        "red": on & (r > 0.5) & (g < 0.2) & (b < 0.25),
        "white": on & (r > 0.75) & (g > 0.7),
        "black": on & (r < 0.2) & (g < 0.2) & (b < 0.2),
        "blue": on & (b > 0.5) & (r < 0.15),
    }


def test_every_class_has_a_drawer_and_draws_a_valid_deterministic_layer():
    assert set(CLASSES) == {"background", *DRAWERS}
    for kind in DRAWERS:
        rgb, alpha = _draw(kind, 3)
        assert rgb.shape == (S, S, 3) and alpha.shape == (S, S), kind
        assert rgb.dtype == alpha.dtype == np.float32, kind
        assert rgb.min() >= 0 and rgb.max() <= 1 and alpha.min() >= 0 and alpha.max() <= 1, kind
        assert 0.3 < alpha.mean() < 0.95, kind  # a sign fills most of its canvas, not all of it
        again = _draw(kind, 3)
        np.testing.assert_array_equal(rgb, again[0])
        assert not np.array_equal(rgb, _draw(kind, 4)[0]), kind  # every call varies


@pytest.mark.parametrize("seed", range(8))
def test_colours_of_the_confusers(seed):
    stop = _masks(*_draw("stop", seed))
    assert stop["red"].mean() > 0.3 and stop["white"].mean() > 0.04  # red field, white legend
    assert stop["black"].sum() == 0
    speed = _masks(*_draw("speed_limit", seed))
    assert speed["red"].mean() > 0.08 and speed["black"].mean() > 0.02  # red ring, black digits
    assert _masks(*_draw("mandatory_blue", seed))["blue"].mean() > 0.3


@pytest.mark.parametrize("seed", range(8))
def test_warning_triangles_point_up_and_carry_a_dark_pictogram(seed):
    rgb, alpha = _draw("warning", seed)
    m = _masks(rgb, alpha)
    widths = (alpha > 0.5).sum(1)
    rows = np.nonzero(widths)[0]
    top, bottom = widths[rows[: len(rows) // 4]].mean(), widths[rows[-len(rows) // 4 :]].mean()
    assert bottom > 2 * top  # point up (a yield sign points down)
    assert m["red"].mean() > 0.08  # the red rim
    # the pictogram: dark (or traffic-light) ink inside the light field
    field = (alpha > 0.99) & ~m["red"] & (rgb.min(-1) > 0.4)
    assert field.mean() > 0.04
    assert (m["black"].sum() > 0) or (rgb[..., 1] > 0.6).sum() > 0
    yw = (_draw("yield", seed)[1] > 0.5).sum(1)
    yrows = np.nonzero(yw)[0]
    assert yw[yrows[: len(yrows) // 4]].mean() > 2 * yw[yrows[-len(yrows) // 4 :]].mean()


def test_scenes_are_mostly_tight_crops_and_often_dark_or_coarse():
    rng = np.random.default_rng(0)
    params = [draw_params("stop", rng) for _ in range(2000)]
    crop = np.array([p.framing == "crop" for p in params])
    assert 0.65 < crop.mean() < 0.85
    assert min(p.size for p in params if p.framing == "crop") >= 0.7  # ~10 % margin as GTSRB
    assert np.mean([p.darkness > 0.4 for p in params]) > 0.25  # dusk and night
    assert np.mean([0 < p.resolution <= 40 for p in params]) > 0.4  # captured small, enlarged
    assert all(0 <= p.difficulty <= 1 for p in params)


def test_a_tight_crop_is_filled_by_its_sign():
    rng = np.random.default_rng(1)
    while (p := draw_params("stop", rng)).framing != "crop" or p.darkness > 0.2 or p.contrast < 1:
        pass
    img = render_scene(p, 64, rng).astype(float)
    centre = img[20:44, 20:44]
    assert (centre[..., 0] - centre[..., 2]).mean() > 25  # the middle of the crop is red sign
