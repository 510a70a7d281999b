"""The choices made on validation figures alone: the best run, and the ensemble's members.

`select_best` and `select_ensemble` read nothing but each run's `train.json` (written by
training, before any test image is seen), so the choices cannot depend on the test set; the
workflow's `select_best` rule has these files as its only inputs and every rule that reads test
predictions takes its `best.json` and `ensemble.json` as given.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from torch import nn

from study.io import read_json, write_json
from study.models.registry import create_model

# The validation figures a choice may use: accuracy first, loss to break ties.
RANKING = ["val_accuracy", "val_loss"]


@cache
def has_convolution(architecture: str) -> bool:
    """Whether the architecture has a convolution whose filters can be drawn."""
    return any(isinstance(m, nn.Conv2d) for m in create_model(architecture).modules())


def training_summaries(summaries: list[Path]) -> pd.DataFrame:
    """One row per run from its train.json."""
    rows = []
    for summary in summaries:
        row = read_json(summary)
        rows.append({"architecture": row["architecture"],
                     "regularisation": row["regularisation"], "seed": int(row["seed"]),
                     "val_accuracy": row["val_accuracy"], "val_loss": row["val_loss"]})
    return pd.DataFrame(rows)


def _run(row: pd.Series) -> dict[str, Any]:
    return {"architecture": str(row.architecture), "regularisation": str(row.regularisation),
            "seed": int(row.seed)}


def _best_run(runs: pd.DataFrame) -> pd.Series:
    return runs.sort_values(RANKING, ascending=[False, True], kind="stable").iloc[0]


def pick_best(runs: pd.DataFrame) -> dict[str, Any]:
    """The variant with the best mean validation accuracy over seeds (ties: lower mean
    validation loss), its best run, the best run of each architecture (`by_architecture`)
    and (`cnn`) the best run of an architecture with convolutions, or None."""
    variants = (runs.groupby(["architecture", "regularisation"], sort=False)[RANKING].mean()
                .reset_index())
    variant = _best_run(variants)
    run = _best_run(runs[(runs.architecture == variant.architecture)
                         & (runs.regularisation == variant.regularisation)])
    conv = runs[runs.architecture.map(has_convolution)]
    return {
        "architecture": str(variant.architecture),
        "regularisation": str(variant.regularisation),
        "seed": int(run.seed),
        "variant_val_accuracy": float(variant.val_accuracy),
        "run_val_accuracy": float(run.val_accuracy),
        "cnn": _run(_best_run(conv)) if len(conv) else None,
        "by_architecture": {str(arch): _run(_best_run(own))
                            for arch, own in runs.groupby("architecture", sort=False)},
    }


def select_best(summaries: list[Path], out: Path) -> dict[str, Any]:
    """Write the choice as `out` (best.json) and return it."""
    best = pick_best(training_summaries(summaries))
    write_json(out, best)
    return best


def pick_ensemble(runs: pd.DataFrame, size: int) -> list[dict[str, Any]]:
    """The `size` runs with the best validation accuracy (ties: lower validation loss), of
    any architecture and variant."""
    ranked = runs.sort_values(RANKING, ascending=[False, True], kind="stable").head(size)
    return [{**_run(r), "val_accuracy": float(r.val_accuracy)} for r in ranked.itertuples()]


def select_ensemble(summaries: list[Path], size: int, out: Path) -> list[dict[str, Any]]:
    """Write the ensemble's members as `out` (ensemble.json) and return them."""
    members = pick_ensemble(training_summaries(summaries), size)
    write_json(out, {"size": len(members), "members": members})
    return members
