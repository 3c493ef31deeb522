"""Decoding image files: colour modes, the PPM fast path, bad files (crowdsign.data.decode)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from crowdsign.data.decode import (
    BadImageError,
    check_extension,
    decode_file,
    parallel_decode,
    read_image,
)
from crowdsign.data.summary import LoadSummary


def rgb(h: int = 9, w: int = 7, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_ppm_fast_path_matches_pillow(tmp_path):
    image = rgb()
    path = tmp_path / "00000_00001.ppm"
    Image.fromarray(image).save(path)
    # a comment in the header is legal PPM
    data = path.read_bytes().replace(b"P6\n", b"P6\n# made by a test\n", 1)
    path.write_bytes(data)
    assert np.array_equal(read_image(path), image)
    assert np.array_equal(read_image(path), np.asarray(Image.open(path).convert("RGB")))


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp", ".ppm"])
def test_formats_decode_and_resize(tmp_path, ext):
    path = tmp_path / f"x{ext}"
    Image.fromarray(rgb(20, 30)).save(path)
    out = decode_file(path, 16)
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8


def test_grey_palette_and_cmyk_become_rgb(tmp_path):
    Image.new("L", (4, 4), 200).save(tmp_path / "l.png")
    assert (read_image(tmp_path / "l.png") == 200).all()
    Image.new("CMYK", (4, 4), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    red = read_image(tmp_path / "c.jpg")[0, 0]
    assert red[0] > 200 and red[1] < 50 and red[2] < 50
    Image.new("RGB", (4, 4), (10, 200, 30)).convert("P", palette=Image.Palette.ADAPTIVE).save(
        tmp_path / "p.png"
    )
    assert tuple(read_image(tmp_path / "p.png")[1, 1]) == (10, 200, 30)


def test_alpha_is_composited_over_white(tmp_path):
    image = np.zeros((4, 4, 4), dtype=np.uint8)
    image[..., 0] = 255  # red ...
    image[:2, :, 3] = 255  # ... opaque on top, fully transparent below
    Image.fromarray(image, "RGBA").save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    assert tuple(out[0, 0]) == (255, 0, 0)
    assert tuple(out[3, 0]) == (255, 255, 255)


def test_16_bit_grey_and_rgb_png_scale_to_8_bit(tmp_path):
    grey = np.full((4, 4), 32768, dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), grey)
    with Image.open(tmp_path / "g16.png") as image:
        assert image.mode.startswith("I")
    assert (read_image(tmp_path / "g16.png") == 128).all()  # not clipped to white
    colour = np.zeros((4, 4, 3), dtype=np.uint16)
    colour[..., 2] = 65535  # OpenCV is BGR: red
    cv2.imwrite(str(tmp_path / "c16.png"), colour)
    assert tuple(read_image(tmp_path / "c16.png")[0, 0]) == (255, 0, 0)


def test_exif_orientation_is_applied(tmp_path):
    image = Image.fromarray(rgb(4, 8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image.save(tmp_path / "r.jpg", exif=exif)
    assert read_image(tmp_path / "r.jpg").shape == (8, 4, 3)
    assert read_image(tmp_path / "r.jpg", exif_transpose=False).shape == (4, 8, 3)


def _truncate(path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("ext", [".ppm", ".png", ".jpg"])
def test_truncated_files_name_the_file(tmp_path, ext):
    path = tmp_path / f"cut{ext}"
    Image.fromarray(rgb(64, 64)).save(path)
    _truncate(path)
    with pytest.raises(BadImageError, match=f"cut\\{ext}"):
        read_image(path)


def test_empty_missing_and_non_image_files(tmp_path):
    (tmp_path / "zero.png").write_bytes(b"")
    with pytest.raises(BadImageError, match=r"zero\.png: empty file \(0 bytes\)"):
        read_image(tmp_path / "zero.png")
    with pytest.raises(BadImageError, match=r"gone\.png: file not found"):
        read_image(tmp_path / "gone.png")
    (tmp_path / "text.jpg").write_text("not really a jpeg")
    with pytest.raises(BadImageError, match=r"text\.jpg: not a readable image"):
        read_image(tmp_path / "text.jpg")
    with pytest.raises(BadImageError, match=r"notes\.txt: unsupported extension '\.txt'"):
        check_extension(tmp_path / "notes.txt")


def _decode(path: str) -> np.ndarray:
    return decode_file(path, 8)[None]


def test_parallel_decode_skips_and_lists_or_raises(tmp_path):
    paths = []
    for i in range(6):
        path = tmp_path / f"{i}.png"
        Image.fromarray(rgb(seed=i)).save(path)
        paths.append(str(path))
    (tmp_path / "2.png").write_bytes(b"")
    summary = LoadSummary("unit", unit="images")
    images, owner = parallel_decode(
        paths, _decode, names=paths, image_size=8, summary=summary, on_bad_image="skip", workers=2
    )
    assert images.shape == (5, 8, 8, 3)
    assert list(owner) == [0, 1, 3, 4, 5]
    assert summary.skipped == [(paths[2], "empty file (0 bytes)")]
    assert summary.to_dict()["skipped"] == 1
    names = [f"manifest.csv line {i + 2}" for i in range(6)]
    with pytest.raises(BadImageError, match=r"manifest\.csv line 4: empty file"):
        parallel_decode(paths, _decode, names=names, image_size=8, summary=summary, workers=2)
    with pytest.raises(ValueError, match="on_bad_image"):
        parallel_decode(
            paths, _decode, names=paths, image_size=8, summary=summary, on_bad_image="ignore"
        )


def test_ppm_with_small_maxval_is_scaled_not_copied(tmp_path):
    path = tmp_path / "m15.ppm"
    path.write_bytes(b"P6 2 1 15\n" + bytes([15, 0, 0, 0, 15, 0]))
    assert read_image(path).tolist() == [[[255, 0, 0], [0, 255, 0]]]
