"""The files of the study's runs, as the workflow's rules pass them.

A rule that reads the files of several runs gets each kind (models, predictions, histories,
...) as one list, every list in the same order as the runs' `train.json` files, which say
which run each position is. `RunFiles` pairs every file with its run, so that no module ever
builds a file's name from a run's folder: each path is declared once, in the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from study.errors import ConfigError, DataError
from study.io import read_json

# (architecture, regularisation, seed): what names a run everywhere in the study.
RunKey = tuple[str, str, int]


def run_key(run: Any) -> RunKey:
    """The key of a run, from anything that names one: a mapping (train.json, best.json, an
    ensemble member, a table row) or a row of `DataFrame.itertuples()`."""
    if isinstance(run, tuple):  # a named tuple
        return str(run.architecture), str(run.regularisation), int(run.seed)
    return str(run["architecture"]), str(run["regularisation"]), int(run["seed"])


def describe(key: RunKey) -> str:
    return f"{key[0]} + {key[1]}, seed {key[2]}"


def check_one_per_run(kind: str, paths: Sequence[Path], summaries: Sequence[Path]) -> None:
    """A one-line error unless `paths` give one `kind` file per run of `summaries`."""
    if len(paths) != len(summaries):
        raise ConfigError(f"{len(paths)} {kind} files for {len(summaries)} runs: give one per "
                          "run, in the order of the train.json files")


class RunFiles:
    """Each run's `train.json` (as `summaries`, in order) and the files of the kinds given,
    one list per kind in the same order."""

    def __init__(self, summaries: Sequence[Path], **files: Sequence[Path] | None) -> None:
        given = {kind: [Path(p) for p in paths] for kind, paths in files.items()
                 if paths is not None}
        for kind, paths in given.items():
            check_one_per_run(kind, paths, summaries)
        self.summaries: list[dict[str, Any]] = []
        self._files: dict[RunKey, dict[str, Path]] = {}
        for i, path in enumerate(summaries):
            summary = read_json(path)
            key = run_key(summary)
            if key in self._files:
                raise ConfigError(f"{path}: {describe(key)} is given twice")
            self.summaries.append(summary)
            self._files[key] = {"summary": Path(path),
                                **{kind: paths[i] for kind, paths in given.items()}}

    def path(self, run: Any, kind: str) -> Path:
        """The file of `kind` of `run` (anything `run_key` reads)."""
        key = run_key(run)
        try:
            return self._files[key][kind]
        except KeyError:
            raise DataError(f"no {kind} file was given for {describe(key)}") from None
