"""Preprocessing: the stratified train/validation split and tensors kept on the device.

Pixels are scaled to [0, 1] and standardised with the mean and std of the training split
only, so nothing about the validation or test images leaks into the inputs.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from study.errors import ConfigError, DataError

NUM_CLASSES = 10
DIGITS = list(range(NUM_CLASSES))  # the classes, in order


@dataclass(frozen=True)
class Split:
    train_idx: np.ndarray
    val_idx: np.ndarray
    mean: float
    std: float
    # Positions in train_idx, ordered so that every prefix is a stratified sample: the
    # smaller training sets of the size axis are prefixes, each inside the larger ones.
    train_order: np.ndarray


def nested_order(labels: np.ndarray, seed: int) -> np.ndarray:
    """Positions of `labels` ordered so that every prefix holds each class in proportion
    (within one image): each class's images are shuffled and spread evenly along the order,
    its j-th at rank (j + u) / n_class, u a random offset per class that breaks the ties."""
    rng = np.random.default_rng(seed)
    keys = np.empty(len(labels))
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        keys[rng.permutation(members)] = (np.arange(len(members)) + rng.random()) / len(members)
    return np.argsort(keys, kind="stable")


def nested_subset(split: Split, size: int | None) -> np.ndarray:
    """The training split's first `size` images in its nested order (sorted indices into
    the official training set); None: the whole training split."""
    if size is None:
        return split.train_idx
    if not 0 < size <= len(split.train_idx):
        raise ConfigError(f"a training set of {size:,} images: the training split has "
                          f"{len(split.train_idx):,}")
    return np.sort(split.train_idx[split.train_order[:size]])


def make_split(images: np.ndarray, labels: np.ndarray, n_val: int, seed: int,
               subset: int | None = None) -> Split:
    """A seeded split of the official training set, stratified by class.

    `subset` keeps a stratified sample of that many images first (for quick test configs).
    """
    # Imported here: scikit-learn takes about 2 s to import, which every training job
    # would pay although only the split rule uses it.
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(labels))
    if subset is not None and subset < len(labels):
        indices, _ = train_test_split(indices, train_size=subset, stratify=labels,
                                      random_state=seed)
    if not 0 < n_val < len(indices):
        raise ConfigError(f"data.n_val={n_val} must be between 1 and {len(indices) - 1}")
    train_idx, val_idx = train_test_split(indices, test_size=n_val, stratify=labels[indices],
                                          random_state=seed)
    train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
    pixels = images[train_idx].astype(np.float64) / 255.0
    return Split(train_idx, val_idx, float(pixels.mean()), float(pixels.std()),
                 nested_order(labels[train_idx], seed))


def save_split(path: str | Path, split: Split) -> None:
    from study.io import save_npz

    save_npz(path, train_idx=split.train_idx, val_idx=split.val_idx,
             mean=np.float64(split.mean), std=np.float64(split.std),
             train_order=split.train_order)


def _read_npz(path: str | Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays `keys` of a .npz the workflow wrote, or a DataError saying what to do."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {key: f[key] for key in keys}
    except FileNotFoundError as err:
        raise DataError(f"{path}: not found; prepare the data first "
                        "(`snakemake --cores all results/data/split.npz`).") from err
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise DataError(f"{path}: unreadable or not written by the study ({err}); "
                        "delete it and run the workflow again.") from err


def load_split(path: str | Path) -> Split:
    f = _read_npz(path, ("train_idx", "val_idx", "mean", "std", "train_order"))
    return Split(f["train_idx"], f["val_idx"], float(f["mean"]), float(f["std"]),
                 f["train_order"])


def load_arrays(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    f = _read_npz(path, ("images", "labels"))
    return f["images"], f["labels"]


def to_inputs(images: np.ndarray, mean: float, std: float, device: torch.device | str
              ) -> torch.Tensor:
    """uint8 (N, 28, 28) -> standardised float32 (N, 1, 28, 28) on `device`.

    The uint8 array is moved first (4x less traffic) and converted there.
    """
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return ((x.float() / 255.0 - mean) / std).unsqueeze(1)


def one_hot(labels: torch.Tensor) -> torch.Tensor:
    """Class indices -> float one-hot targets (the loss takes soft targets)."""
    return torch.nn.functional.one_hot(labels.long(), NUM_CLASSES).float()


@dataclass
class DeviceData:
    """The training and validation splits as tensors resident on one device."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor


def load_training_data(train_npz: str | Path, split_npz: str | Path,
                       device: torch.device | str, max_train: int | None = None,
                       max_val: int | None = None, train_size: int | None = None
                       ) -> tuple[DeviceData, Split]:
    """The splits on `device`; `max_train`/`max_val` move only the first so many images;
    `train_size` trains on the nested stratified subset of that many (`nested_subset`)."""
    images, labels = load_arrays(train_npz)
    split = load_split(split_npz)
    train_idx = nested_subset(split, train_size)[:max_train]
    # What was loaded is not subset again: its order is left as it is.
    split = Split(train_idx, split.val_idx[:max_val], split.mean, split.std,
                  np.arange(len(train_idx)))
    y = torch.from_numpy(labels.astype(np.int64))

    def part(idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return to_inputs(images[idx], split.mean, split.std, device), y[idx].to(device)

    (train_x, train_y), (val_x, val_y) = part(split.train_idx), part(split.val_idx)
    return DeviceData(train_x, train_y, val_x, val_y), split
