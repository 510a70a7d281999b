"""Commands of the training stage: the hyper-parameter search of an architecture, and one
training run."""

from __future__ import annotations

import argparse
from pathlib import Path

from study.cli.options import (
    add_file_lists,
    check_file_lists,
    device,
    device_options,
    json_object,
)
from study.errors import ConfigError


def read_chosen(path: Path | None) -> dict | None:
    """The values a search chose (its chosen.json), or None."""
    if path is None:
        return None
    from study.io import read_json

    try:
        return read_json(path)
    except (OSError, ValueError) as err:
        raise ConfigError(f"{path}: not a search result ({err}); run the search again") from err


def _train(args: argparse.Namespace) -> None:
    from study.training.train_run import train_run

    train_run(architecture=args.arch, regularisation=args.reg, seed=args.seed,
              train_npz=args.train, split_npz=args.split, settings=json_object(args.settings),
              model_options=json_object(args.model_options, "--model-options"),
              chosen=read_chosen(args.chosen), device=device(args),
              model_out=args.model_out, history_out=args.history_out,
              summary_out=args.summary_out, resume=args.resume)


def _train_group(args: argparse.Namespace) -> None:
    from study.training.train_run import RunSpec, train_group

    settings = json_object(args.settings)
    pairs = [_run_name(text) for text in args.runs]
    lists = ("model_out", "history_out", "summary_out", "resume")
    check_file_lists(args, len(pairs), "run", *lists)
    unknown = sorted({reg for reg, _ in pairs} - set(settings))
    if unknown:
        raise ConfigError(f"--settings gives no settings for the variant {unknown[0]!r}")
    runs = [RunSpec(reg, seed, settings[reg], *files)
            for (reg, seed), *files in zip(pairs, *(getattr(args, name) for name in lists),
                                           strict=True)]
    train_group(architecture=args.arch, train_size=args.train_size, runs=runs,
                train_npz=args.train, split_npz=args.split, device=device(args),
                model_options=json_object(args.model_options, "--model-options"),
                chosen=read_chosen(args.chosen))


def _run_name(text: str) -> tuple[str, int]:
    """REGULARISATION:SEED, as --runs names the runs of a group."""
    reg, sep, seed = text.rpartition(":")
    if not sep or not reg or not seed.isdigit():
        raise ConfigError(f"--runs: expected REGULARISATION:SEED, got {text!r}")
    return reg, int(seed)


def _search(args: argparse.Namespace) -> None:
    from study.training.search import run_search

    chosen = run_search(architecture=args.arch, train_npz=args.train, split_npz=args.split,
                        settings=json_object(args.settings),
                        space=json_object(args.space, "--space"), trials=args.trials,
                        train_images=args.train_images, seed=args.seed,
                        model_options=json_object(args.model_options, "--model-options"),
                        device=device(args), storage=args.storage,
                        chosen_out=args.chosen_out, trials_out=args.trials_out)
    print(f"chosen on validation ({chosen['val_accuracy']:.4f}, trial {chosen['trial']}): "
          + ", ".join(f"{k} = {chosen[k]:.3g}" for k in chosen["space"]))


def _data_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--train", type=Path, required=True, help="training arrays (npz)")
    parent.add_argument("--split", type=Path, required=True, help="the split (npz)")
    parent.add_argument("--model-options", default="{}",
                        help="the architecture's size (`models:` of the config), as JSON")
    return parent


def register(sub: argparse._SubParsersAction) -> None:
    parents = [_data_options(), device_options()]
    p = sub.add_parser("train", parents=parents,
                       help="train one (architecture, regularisation, seed)")
    p.add_argument("--arch", required=True, help="a registered architecture")
    p.add_argument("--reg", required=True, help="the variant's name, recorded with the run")
    p.add_argument("--seed", type=int, required=True, help="initial weights and shuffling")
    p.add_argument("--settings", default="{}",
                   help="the run's training settings as JSON (the variant's applied)")
    p.add_argument("--chosen", type=Path,
                   help="chosen.json of the search: the values of the settings given as "
                   "'searched'")
    p.add_argument("--model-out", type=Path, required=True, help="the checkpoint to write")
    p.add_argument("--history-out", type=Path, required=True, help="per-epoch history (CSV)")
    p.add_argument("--summary-out", type=Path, required=True, help="train.json to write")
    p.add_argument("--resume", type=Path, required=True,
                   help="the unfinished run's state, saved after every epoch")
    p.set_defaults(func=_train)

    p = sub.add_parser("train-group", parents=parents,
                       help="train several runs of one architecture on a smaller nested "
                       "training set, in one process")
    p.add_argument("--arch", required=True, help="a registered architecture")
    p.add_argument("--train-size", type=int, required=True,
                   help="training images: the nested stratified subset of the split")
    p.add_argument("--runs", nargs="+", required=True,
                   help="the runs as REGULARISATION:SEED, in the order of the file lists")
    p.add_argument("--settings", required=True,
                   help="JSON: each variant's training settings, by the variant's name")
    p.add_argument("--chosen", type=Path,
                   help="chosen.json of the search: the values of the settings given as "
                   "'searched'")
    add_file_lists(p, "run of --runs", model_out="the checkpoint to write",
                   history_out="per-epoch history (CSV) to write",
                   summary_out="train.json to write",
                   resume="the run's state, kept until every run of the group is written")
    p.set_defaults(func=_train_group)

    p = sub.add_parser("search", parents=parents,
                       help="search one architecture's hyper-parameters (Optuna)")
    p.add_argument("--arch", required=True, help="a registered architecture")
    p.add_argument("--settings", required=True,
                   help="a trial's training settings as JSON, those to search as 'searched'")
    p.add_argument("--space", required=True, help="JSON: [low, high] of each searched setting")
    p.add_argument("--trials", type=int, required=True, help="trials in all (resumed ones too)")
    p.add_argument("--train-images", type=int, help="training images per trial (default all)")
    p.add_argument("--seed", type=int, default=0, help="the sampler's and the subset's seed")
    p.add_argument("--storage", type=Path, required=True, help="the study's SQLite file")
    p.add_argument("--chosen-out", type=Path, required=True, help="chosen.json to write")
    p.add_argument("--trials-out", type=Path, required=True, help="every trial (CSV)")
    p.set_defaults(func=_search)
