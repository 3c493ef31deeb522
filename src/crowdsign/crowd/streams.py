"""Per-image random numbers: what image ``i`` draws depends on ``(seed, image_id)`` only.

A simulated crowd draws every image's answers from its own stream, so an image gets the same
answers whatever else is labeled with it: the 1,000-image subset's answers are those of the
same images in the 2,000-image subset, and a validation image's answers do not depend on the
train size. The streams are counter-based (SplitMix64 on ``hash(image_id) ^ seed`` and a
counter), so drawing them is vectorised numpy with no Python loop per image.
"""

from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection on uint64 that scatters nearby inputs."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def image_keys(image_id: np.ndarray, seed: int) -> np.ndarray:
    """``(N,)`` uint64 key per image from a stable hash of its id (not Python's ``hash``)."""
    salt = np.uint64(int(seed) % 2**64)
    ids = np.asarray(image_id)
    digests = b"".join(hashlib.blake2b(str(i).encode(), digest_size=8).digest() for i in ids)
    keys = np.frombuffer(digests, dtype="<u8").astype(np.uint64)
    with np.errstate(over="ignore"):
        return _mix(keys ^ _mix(np.atleast_1d(salt * _GOLDEN + _GOLDEN))[0])


def uniforms(keys: np.ndarray, stream: int, count: int) -> np.ndarray:
    """``(N, count)`` floats in (0, 1): draw ``j`` of stream ``stream`` for each image key.

    Different ``stream`` numbers give independent draws (one per purpose: which workers,
    which answer, how long it took), so adding a draw for one purpose never shifts another.
    """
    keys = np.asarray(keys, dtype=np.uint64)
    j = np.arange(count, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        base = _mix(keys ^ (np.uint64(stream + 1) * _M2))
        x = _mix(base[:, None] + (j + np.uint64(1)) * _GOLDEN)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)


def gumbels(keys: np.ndarray, stream: int, count: int) -> np.ndarray:
    """``(N, count)`` standard Gumbel draws."""
    return -np.log(-np.log(uniforms(keys, stream, count)))


def normals(keys: np.ndarray, stream: int, count: int) -> np.ndarray:
    """``(N, count)`` standard normal draws (Box-Muller on two uniform streams)."""
    u1 = uniforms(keys, stream, count)
    u2 = uniforms(keys, stream + 1_000_003, count)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
