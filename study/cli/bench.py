"""The speed benchmarks' command (not a stage of the workflow: `make bench`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from study.cli.options import device, device_options


def _bench(args: argparse.Namespace) -> None:
    from study.bench.benchmarks import run_bench

    run_bench(args.which, args.data_dir, args.out_dir, device(args), args.seeds)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", parents=[device_options()],
                       help="speed benchmarks: speedrun, throughput, scaling, precision")
    p.add_argument("which", choices=["speedrun", "throughput", "scaling", "precision", "all"],
                   help="the benchmark to run")
    p.add_argument("--data-dir", type=Path, default=Path("results/data"),
                   help="folder of train.npz, split.npz and test.npz")
    p.add_argument("--out-dir", type=Path, default=Path("results/bench"),
                   help="where each benchmark's JSON is written")
    p.add_argument("--seeds", type=int, default=10, help="speedrun: seeds to train")
    p.set_defaults(func=_bench)
