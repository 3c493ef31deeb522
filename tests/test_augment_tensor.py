"""to_tensor_batch: the (image / 255 - 0.5) / 0.5 model input from NHWC uint8 batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from crowdsign.augment.tensor import to_image_batch, to_tensor_batch


def batch(n: int = 3, h: int = 5, w: int = 4) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, h, w, 3), dtype=np.uint8)


def test_values_layout_and_range():
    images = batch()
    x = to_tensor_batch(images)
    assert x.shape == (3, 3, 5, 4) and x.dtype == torch.float32
    expected = (torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.5
    torch.testing.assert_close(x, expected, rtol=0, atol=1e-6)
    assert to_tensor_batch(np.zeros((1, 2, 2, 3), np.uint8)).eq(-1).all()
    assert to_tensor_batch(np.full((1, 2, 2, 3), 255, np.uint8)).eq(1).all()


def test_tensor_input_read_only_input_and_round_trip():
    images = batch()
    images.flags.writeable = False  # e.g. a read-only memmap of the image cache
    x = to_tensor_batch(images, channels_last=True)
    assert x.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(to_tensor_batch(torch.from_numpy(images.copy())), x)
    np.testing.assert_array_equal(to_image_batch(x), images)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((5, 4, 3), np.uint8),
        np.zeros((1, 5, 4, 3), np.float32),
        np.zeros((1, 3, 5, 4), np.uint8),
    ],
)
def test_rejects_anything_but_nhwc_uint8(bad):
    with pytest.raises(ValueError, match="uint8"):
        to_tensor_batch(bad)
