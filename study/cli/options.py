"""What several commands share: the device options, the runs' files, NAME=PATH outputs and
JSON arguments, each declared once."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from study.errors import ConfigError

if TYPE_CHECKING:  # imported by the commands that need them: `--help` stays fast
    import torch

    from study.run_files import RunFiles

# The kinds of a run's files a job may be given, with the option that lists them (one file
# per run, in the order of --summaries) and what the file is.
RUN_FILE_OPTIONS = {"model": "models", "history": "histories", "metrics": "metrics",
                    "confusion": "confusions", "predictions": "predictions"}
RUN_FILE_HELP = {"model": "model.pt", "history": "history.csv", "metrics": "metrics.json",
                 "confusion": "confusion.csv", "predictions": "predictions.npz"}


def device_options() -> argparse.ArgumentParser:
    """--device and --threads, for the commands that run a network (argparse parent)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--device", default="auto",
                        help="cpu, cuda, cuda:N, or auto (a CUDA GPU when there is one)")
    parent.add_argument("--threads", type=int,
                        help="PyTorch's CPU threads (default: PyTorch's own choice)")
    return parent


def device(args: argparse.Namespace) -> torch.device:
    """The device the command runs on, with its CPU threads set: the one place a device
    name is resolved (a CUDA device on a machine without one is a one-line error)."""
    import torch

    from study.training.engine import pick_device

    if args.threads:
        torch.set_num_threads(args.threads)
    return pick_device(args.device)


def add_run_files(parser: argparse.ArgumentParser, *kinds: str, required: bool = True) -> None:
    """--summaries and one list option per kind of run file."""
    parser.add_argument("--summaries", type=Path, nargs="+", required=required,
                        help="train.json of every run (says which run each position is)")
    for kind in kinds:
        parser.add_argument(f"--{RUN_FILE_OPTIONS[kind]}", type=Path, nargs="+",
                            required=required,
                            help=f"{RUN_FILE_HELP[kind]} of every run, as --summaries")


def run_files(args: argparse.Namespace, *kinds: str) -> RunFiles:
    """The runs' files given as lists (--summaries, then one list per kind)."""
    from study.run_files import RunFiles

    return RunFiles(args.summaries, **{kind: getattr(args, RUN_FILE_OPTIONS[kind])
                                       for kind in kinds})


def add_file_lists(parser: argparse.ArgumentParser, per: str, **helps: str) -> None:
    """One list option per kind of file a job reads or writes for each of its `per`s (a
    run, a checkpoint), every list in the same order: `metrics_out=...` is --metrics-out."""
    for name, text in helps.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=Path, nargs="+", required=True,
                            help=f"{text}, one per {per}, in the same order")


def check_file_lists(args: argparse.Namespace, count: int, per: str, *names: str) -> None:
    """A one-line error unless each list option of `names` gives `count` files."""
    for name in names:
        given = len(getattr(args, name))
        if given != count:
            files = f"{given} file" + ("s" if given != 1 else "")
            raise ConfigError(f"--{name.replace('_', '-')}: {files} for {count} {per}s; "
                              f"give one per {per}, in the same order")


def named_path(text: str) -> tuple[str, Path]:
    """NAME=PATH, as the rules give the files a job writes."""
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, Path(path)


def add_outputs(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--outputs", type=named_path, nargs="+", required=True,
                        help=f"NAME=PATH of {what}")


def json_object(text: str, option: str = "--settings") -> dict:
    """A JSON mapping given on the command line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{option} is not valid JSON ({err})") from err
    if not isinstance(value, dict):
        raise ConfigError(f"{option} must be a JSON object, got {text!r}")
    return value


def missing_inputs(args: argparse.Namespace, needed: tuple[str, ...], command: str) -> None:
    """A one-line error naming the options `command` needs that were not given."""
    missing = [f"--{k.replace('_', '-')}" for k in needed if getattr(args, k) is None]
    if missing:
        raise ConfigError(f"{command} needs {', '.join(missing)}")
