"""Preprocessing: the split is disjoint, stratified and seeded; statistics come from training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from study.data.splits import Split, load_split, make_split, one_hot, save_split, to_inputs
from study.errors import ConfigError


def test_split_is_disjoint_and_complete(tiny_images: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = tiny_images
    split = make_split(images, labels, n_val=100, seed=0)
    assert len(split.val_idx) == 100 and len(split.train_idx) == 500
    assert not set(split.train_idx) & set(split.val_idx)
    assert sorted([*split.train_idx, *split.val_idx]) == list(range(600))


def test_split_is_stratified(tiny_images: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = tiny_images
    split = make_split(images, labels, n_val=100, seed=3)
    assert np.bincount(labels[split.val_idx]).tolist() == [10] * 10
    assert np.bincount(labels[split.train_idx]).tolist() == [50] * 10


def test_split_follows_its_seed(tiny_images: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = tiny_images
    a, b, c = (make_split(images, labels, 100, seed) for seed in (1, 1, 2))
    np.testing.assert_array_equal(a.val_idx, b.val_idx)
    assert not np.array_equal(a.val_idx, c.val_idx)


def test_subset_is_stratified_too(tiny_images: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = tiny_images
    split = make_split(images, labels, n_val=50, seed=0, subset=200)
    assert len(split.train_idx) + len(split.val_idx) == 200
    assert np.bincount(labels[split.val_idx]).tolist() == [5] * 10


def test_statistics_come_from_the_training_split_only(
        tiny_images: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = tiny_images
    split = make_split(images, labels, n_val=100, seed=0)
    bright = images.copy()
    bright[split.val_idx] = 255  # validation images must not move the statistics
    again = make_split(bright, labels, n_val=100, seed=0)
    train_pixels = images[split.train_idx] / 255.0
    assert again.mean == split.mean == train_pixels.mean()
    assert again.std == split.std == train_pixels.std()


def test_inputs_are_standardised(tiny_images: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = tiny_images
    split = make_split(images, labels, n_val=100, seed=0)
    x = to_inputs(images[split.train_idx], split.mean, split.std, "cpu")
    assert x.shape == (500, 1, 28, 28) and x.dtype == torch.float32
    assert abs(x.mean().item()) < 1e-4 and abs(x.std().item() - 1) < 1e-3


def test_one_hot() -> None:
    targets = one_hot(torch.tensor([0, 3, 9]))
    assert targets.shape == (3, 10) and targets.dtype == torch.float32
    assert targets.sum(1).tolist() == [1, 1, 1]
    assert targets.argmax(1).tolist() == [0, 3, 9]


def test_split_file_round_trip(tmp_path: Path) -> None:
    split = Split(np.array([0, 2]), np.array([1]), 0.13, 0.31, np.array([1, 0]))
    save_split(tmp_path / "split.npz", split)
    loaded = load_split(tmp_path / "split.npz")
    assert loaded.mean == 0.13 and loaded.val_idx.tolist() == [1]
    assert loaded.train_order.tolist() == [1, 0]


def test_smaller_training_sets_are_nested_and_stratified() -> None:
    from study.data.splits import nested_subset

    rng = np.random.default_rng(0)
    labels = rng.choice(10, 3000, p=np.linspace(1, 2, 10) / np.linspace(1, 2, 10).sum())
    images = rng.integers(0, 256, (3000, 28, 28), dtype=np.uint8)
    split = make_split(images, labels, n_val=500, seed=0)
    small, large = nested_subset(split, 100), nested_subset(split, 1000)
    assert len(small) == 100 and len(large) == 1000
    assert set(small) <= set(large) <= set(split.train_idx)  # nested, inside the split
    share = np.bincount(labels[split.train_idx], minlength=10) / len(split.train_idx)
    for subset in (small, large):  # every class within one image of its share
        counts = np.bincount(labels[subset], minlength=10)
        assert np.abs(counts - share * len(subset)).max() <= 1
    assert nested_subset(split, None) is split.train_idx
    again = make_split(images, labels, n_val=500, seed=0)  # the same for the same seed
    assert nested_subset(again, 100).tolist() == small.tolist()
    other = make_split(images, labels, n_val=500, seed=1)
    assert nested_subset(other, 100).tolist() != small.tolist()
    with pytest.raises(ConfigError, match="training split has 2,500"):
        nested_subset(split, 2501)


def test_unreadable_arrays_get_a_clear_error(tmp_path: Path) -> None:
    from study.data.splits import load_arrays
    from study.errors import DataError

    with pytest.raises(DataError, match=r"missing\.npz: not found; prepare the data first"):
        load_arrays(tmp_path / "missing.npz")
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"garbage\.npz: unreadable.*run the workflow again"):
        load_arrays(tmp_path / "garbage.npz")
    np.savez(tmp_path / "other.npz", pixels=np.zeros(3))
    with pytest.raises(DataError, match=r"other\.npz: unreadable or not written by the study"):
        load_arrays(tmp_path / "other.npz")
