"""Obtaining MNIST: every source gives the pinned arrays; bad input gives a clear error."""

from __future__ import annotations

import gzip
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from study.cli import main
from study.data import mnist
from tests.conftest import write_idx


def test_wheel_gives_the_pinned_arrays(real_mnist: mnist.Mnist) -> None:
    assert real_mnist.train_images.shape == (60000, 28, 28)
    assert real_mnist.test_images.shape == (10000, 28, 28)
    assert np.bincount(real_mnist.train_labels).tolist() == [
        5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(real_mnist.test_labels).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_idx_folder_round_trip(idx_dir: Path, real_mnist: mnist.Mnist) -> None:
    loaded = mnist.obtain(idx_dir, None, None)
    assert loaded.source.startswith("IDX files")
    np.testing.assert_array_equal(loaded.test_images, real_mnist.test_images)


def test_gzipped_torchvision_raw_folder(tmp_path: Path, real_mnist: mnist.Mnist) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for key, stem in mnist.IDX_STEMS.items():
        write_idx(raw / stem, getattr(real_mnist, key), compress=True)
    loaded = mnist.obtain(None, tmp_path, None)  # the torchvision root, not raw/ itself
    np.testing.assert_array_equal(loaded.train_labels, real_mnist.train_labels)


def test_altered_pixel_is_refused(idx_dir: Path) -> None:
    path = idx_dir / "t10k-images-idx3-ubyte"
    raw = bytearray(path.read_bytes())
    raw[5000] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(mnist.DataError, match=r"t10k-images-idx3-ubyte.*pinned MNIST digest"):
        mnist.obtain(idx_dir, None, None)


def test_truncated_file_is_refused(idx_dir: Path) -> None:
    path = idx_dir / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(mnist.DataError, match=r"train-labels-idx1-ubyte.*truncated"):
        mnist.obtain(idx_dir, None, None)


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)
    path = write_idx(tmp_path / "x-idx1-ubyte", noise, compress=True)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(mnist.DataError, match="cannot be read or decompressed"):
        mnist.read_idx(path)


def test_not_an_idx_file(tmp_path: Path) -> None:
    path = tmp_path / "junk"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(mnist.DataError, match="bad magic number"):
        mnist.read_idx(path)


def test_wrong_wheel_hash_names_the_file(tmp_path: Path) -> None:
    fake = tmp_path / mnist.WHEEL_NAME
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr(mnist.PICKLE_MEMBER, b"")
    with pytest.raises(mnist.DataError, match=f"{mnist.WHEEL_NAME}.*delete it"):
        mnist.load_wheel(fake)


class _Hostile:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (shutil.os.system, (f"touch {self.marker}",))  # type: ignore[attr-defined]


def test_hostile_pickle_is_refused_before_it_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(((_Hostile(marker), None), None, None), protocol=2)
    with pytest.raises(mnist.DataError, match="refused to load"):
        mnist.unpickle_arrays(payload, "hostile.pkl")
    assert not marker.exists()


def test_numpy_pickle_is_accepted() -> None:
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(2))
    # Protocol 3 stores the array buffer as bytes, as the Python 2 MNIST pickle stores str.
    loaded = mnist.unpickle_arrays(pickle.dumps(arrays, protocol=3), "ok.pkl")
    np.testing.assert_array_equal(loaded[0], arrays[0])


def test_no_source_at_all(tmp_path: Path) -> None:
    with pytest.raises(mnist.DataError, match="no MNIST source found"):
        mnist.obtain(tmp_path, None, tmp_path / "missing.whl")


def test_cli_leaves_nothing_behind_on_corrupt_data(idx_dir: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    images = idx_dir / "train-images-idx3-ubyte"
    images.write_bytes(gzip.compress(images.read_bytes()[:100_000])[:4000])  # not IDX
    out = tmp_path / "results"
    with pytest.raises(SystemExit) as stop:
        main(["prepare-data", "--idx-dir", str(idx_dir), "--train-out", str(out / "train.npz"),
              "--test-out", str(out / "test.npz")])
    assert stop.value.code == 1
    assert "train-images-idx3-ubyte" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_known_label_errors_match_the_official_test_labels(real_mnist: mnist.Mnist) -> None:
    """The cited file names 15 test images, and its labels are those MNIST gives them, so its
    indices are 0-based in the official test order."""
    errors = mnist.known_label_errors()
    assert len(errors) == 15
    assert all(real_mnist.test_labels[i] == label for i, label in errors.items())
