"""Every corruption family moves the image the intended way, more so at each severity step."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest
from toy_sign import toy_sign

from crowdsign.augment import CORRUPTIONS, FAMILIES, GROUPS, corrupt

SIZES = (32, 64, 128)
SEEDS = (0, 1, 2)
GREY = 120  # toy_sign's background


# --- images and statistics ----------------------------------------------------------------------
def luma(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def flat_sign(size: int) -> np.ndarray:
    return toy_sign(size)


def textured_sign(size: int) -> np.ndarray:
    return toy_sign(size, rng=np.random.default_rng(0))


def shape_on_grey(size: int, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """A white rectangle (corners as fractions of the side) on the grey background."""
    image = np.full((size, size, 3), GREY, np.uint8)
    p0, p1 = (round(x0 * size), round(y0 * size)), (round(x1 * size) - 1, round(y1 * size) - 1)
    cv2.rectangle(image, p0, p1, (240, 240, 240), -1)
    return image


def red_saturation(image: np.ndarray, reference: np.ndarray) -> float:
    red = (reference[..., 0] > 150) & (reference[..., 1] < 80)
    return float(cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1][red].mean())


def white_luma(image: np.ndarray, reference: np.ndarray) -> float:
    return float(luma(image)[reference.min(-1) > 200].mean())


def rms_contrast(image: np.ndarray, reference: np.ndarray) -> float:
    return float(luma(image).std())


def brightened_fraction(image: np.ndarray, reference: np.ndarray) -> float:
    return float((luma(image) - luma(reference) > 15).mean())


def white_fraction(image: np.ndarray, reference: np.ndarray) -> float:
    return float((image.min(-1) >= 242).mean())


def mean_luma(image: np.ndarray, reference: np.ndarray) -> float:
    return float(luma(image).mean())


def sign_mask(image: np.ndarray) -> np.ndarray:
    return np.abs(image.astype(np.int16) - GREY).max(-1) > 40


def width_over_height(image: np.ndarray, reference: np.ndarray) -> float:
    ys, xs = np.nonzero(sign_mask(image))
    return (xs.max() - xs.min() + 1) / (ys.max() - ys.min() + 1)


def sign_area(image: np.ndarray, reference: np.ndarray) -> float:
    return float(sign_mask(image).mean())


def bright_moments(image: np.ndarray) -> dict[str, float]:
    """Central moments of the brightness above the background (soft: no threshold)."""
    return cv2.moments(np.clip(luma(image) - GREY, 0, None), False)


def bar_angle(image: np.ndarray, reference: np.ndarray) -> float:
    """|orientation| in degrees of the bright bar, from its second moments."""
    m = bright_moments(image)
    return abs(float(np.degrees(0.5 * np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"]))))


def xy_correlation(image: np.ndarray, reference: np.ndarray) -> float:
    m = bright_moments(image)
    return abs(m["mu11"]) / float(np.sqrt(m["mu20"] * m["mu02"]))


def high_frequency(image: np.ndarray, reference: np.ndarray) -> float:
    return float((cv2.Laplacian(luma(image), cv2.CV_32F) ** 2).mean())


def mean_abs_error(image: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(image.astype(np.int16) - reference).mean())


def changed_fraction(image: np.ndarray, reference: np.ndarray) -> float:
    return float((np.abs(image.astype(np.int16) - reference).max(-1) > 10).mean())


Stat = Callable[[np.ndarray, np.ndarray], float]
UP, DOWN = 1, -1

# family: (test image, statistic, direction in which the family moves it)
EXPECTED: dict[str, tuple[Callable[[int], np.ndarray], Stat, int]] = {
    "fade": (flat_sign, red_saturation, DOWN),
    "dirt": (flat_sign, white_luma, DOWN),
    "fog": (textured_sign, rms_contrast, DOWN),
    "rain": (flat_sign, brightened_fraction, UP),
    "snow": (flat_sign, white_fraction, UP),
    "glare": (flat_sign, mean_luma, UP),
    "shadow": (flat_sign, mean_luma, DOWN),
    "night": (flat_sign, mean_luma, DOWN),
    "overexposure": (flat_sign, mean_luma, UP),
    "perspective": (flat_sign, width_over_height, DOWN),  # foreshortened sideways
    "rotation": (lambda s: shape_on_grey(s, 0.25, 0.44, 0.75, 0.56), bar_angle, UP),
    "shear": (lambda s: shape_on_grey(s, 0.31, 0.31, 0.69, 0.69), xy_correlation, UP),
    "scale": (flat_sign, sign_area, DOWN),
    "downscale": (textured_sign, high_frequency, DOWN),
    "defocus": (textured_sign, high_frequency, DOWN),
    "motion_blur": (textured_sign, high_frequency, DOWN),
    "jpeg": (textured_sign, mean_abs_error, UP),
    "stickers": (flat_sign, changed_fraction, UP),
    "cover": (flat_sign, changed_fraction, UP),
}


def test_every_family_has_a_direction_test():
    assert set(EXPECTED) == set(CORRUPTIONS) == set(FAMILIES)


def test_groups_partition_the_families():
    assert set(GROUPS) == {"fading", "weather", "light", "viewpoint", "distance", "occlusion"}
    flat = [name for names in GROUPS.values() for name in names]
    assert sorted(flat) == sorted(CORRUPTIONS) and len(flat) == len(set(flat))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("family", CORRUPTIONS)
def test_family_moves_statistic_monotonically_with_severity(family, size):
    make, stat, direction = EXPECTED[family]
    image = make(size)
    for seed in SEEDS:
        values = [stat(image, image)]
        values += [stat(corrupt(image, family, s, seed), image) for s in range(1, 6)]
        steps = direction * np.diff(values)
        assert (steps > 0).all(), f"{family} seed {seed}: {np.round(values, 4)}"


@pytest.mark.parametrize("family", CORRUPTIONS)
def test_severity_zero_is_identity_and_shape_dtype_kept(family):
    image = textured_sign(48)
    out = FAMILIES[family](image, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(out, image)
    out = corrupt(image, family, 3, seed=0)
    assert out.shape == image.shape and out.dtype == np.uint8 and out.flags.c_contiguous


def test_perspective_moves_the_corners_more_at_each_severity():
    image = np.full((64, 64, 3), GREY, np.uint8)
    for x, y in ((14, 14), (46, 14), (46, 46), (14, 46)):
        cv2.rectangle(image, (x, y), (x + 3, y + 3), (255, 255, 255), -1)

    def corners(im: np.ndarray) -> np.ndarray:
        n, _, _, centroids = cv2.connectedComponentsWithStats((luma(im) > 190).astype(np.uint8))
        assert n == 5  # background + four markers
        quadrant = (centroids[1:, 0] > 32) + 2 * (centroids[1:, 1] > 32)
        return centroids[1:][np.argsort(quadrant)]

    start = corners(image)
    moved = [
        np.linalg.norm(corners(corrupt(image, "perspective", s, 4)) - start, axis=1)
        for s in (1, 3, 5)
    ]
    assert (moved[0] > 0.5).all()
    assert (moved[1] > moved[0]).all() and (moved[2] > moved[1]).all()


def test_fade_drifts_red_toward_orange_or_pink():
    image = flat_sign(64)
    red = (image[..., 0] > 150) & (image[..., 1] < 80)
    drifts = set()
    for seed in range(8):
        _, g, b = corrupt(image, "fade", 4, seed)[red].mean(0)
        drifts.add("orange" if g > b else "pink")  # the red started with blue > green
    assert drifts == {"orange", "pink"}


def test_night_adds_sensor_noise():
    flat = np.full((64, 64, 3), 160, np.uint8)
    out = luma(corrupt(flat, "night", 3, 0))
    residual = out - cv2.GaussianBlur(out, (0, 0), 3)
    assert residual.std() > 1.0


@pytest.mark.parametrize("family", CORRUPTIONS)
def test_corrupt_is_deterministic_and_leaves_input_alone(family):
    image = textured_sign(32)
    before = image.copy()
    a, b = corrupt(image, family, 3, seed=7), corrupt(image, family, 3, seed=7)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(image, before)


# families whose magnitude is all there is: nothing random to place or orient
SEEDLESS = {"overexposure", "downscale", "defocus", "jpeg"}


@pytest.mark.parametrize("family", sorted(set(CORRUPTIONS) - SEEDLESS))
def test_corrupt_depends_on_seed(family):
    image = textured_sign(64)
    outputs = {corrupt(image, family, 3, seed=s).tobytes() for s in range(4)}
    assert len(outputs) >= 2


@pytest.mark.parametrize(
    "family, severity", [("fog", 0), ("fog", 6), ("fog", 2.5), ("fog", True), ("smog", 1)]
)
def test_corrupt_rejects_bad_family_or_severity(family, severity):
    with pytest.raises(ValueError):
        corrupt(flat_sign(32), family, severity, seed=0)


@pytest.mark.parametrize("shape, dtype", [((32, 32), np.uint8), ((32, 32, 3), np.float32)])
def test_corrupt_rejects_non_rgb_uint8(shape, dtype):
    with pytest.raises(ValueError, match="HWC uint8"):
        corrupt(np.zeros(shape, dtype), "fog", 1, seed=0)
