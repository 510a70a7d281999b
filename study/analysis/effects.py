"""What regularisation does, at every training-set size: each configuration's test error
with its interval, and each variant against `none` of the same architecture, size and seed.

Every run is evaluated on the same test images, so a configuration is a seeds x images table
of errors, and a comparison a table of paired differences; `study.evaluation.statistics`
gives their means with intervals that count both the seed-to-seed spread and the finite test
set. The comparisons are corrected together (Holm), over every architecture, variant and
size the study trained.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from study.errors import ConfigError
from study.evaluation.statistics import ALPHA, error_rate, holm, min_detectable, paired_effect
from study.io import read_json, write_text
from study.run_files import check_one_per_run

BASELINE = "none"
CONFIGURATION = ["architecture", "regularisation", "train_images"]

# A configuration's key, and the errors of one of its runs on the test images.
Errors = dict[tuple[str, str, int, int], np.ndarray]


def read_runs(summaries: Sequence[Path], predictions: Sequence[Path]
              ) -> tuple[pd.DataFrame, Errors]:
    """One row per run (architecture, regularisation, seed, train_images) and which test
    images each run gets wrong; `predictions` in the order of `summaries`."""
    check_one_per_run("predictions", predictions, summaries)
    rows, errors = [], {}
    for summary_path, prediction_path in zip(summaries, predictions, strict=True):
        summary = read_json(summary_path)
        key = (summary["architecture"], summary["regularisation"], int(summary["n_train"]),
               int(summary["seed"]))
        if key in errors:
            raise ConfigError(f"{summary_path}: the run {key} is given twice")
        with np.load(prediction_path) as f:
            errors[key] = f["predicted"] != f["labels"]
        rows.append(dict(zip([*CONFIGURATION, "seed"], key, strict=True)))
    return pd.DataFrame(rows, columns=[*CONFIGURATION, "seed"]), errors


def _table(errors: Errors, architecture: str, regularisation: str, size: int,
           seeds: Sequence[int]) -> np.ndarray:
    """The seeds x test images table of one configuration's errors."""
    return np.stack([errors[(architecture, regularisation, size, seed)] for seed in seeds])


def configuration_errors(runs: pd.DataFrame, errors: Errors) -> pd.DataFrame:
    """Each configuration's test error (fractions): mean over its seeds and the test images,
    its standard error and 95% interval."""
    rows = []
    for (arch, reg, size), group in runs.groupby(CONFIGURATION, sort=False):
        seeds = sorted(group.seed)
        estimate = error_rate(_table(errors, arch, reg, size, seeds))
        rows.append({"architecture": arch, "regularisation": reg, "train_images": size,
                     "seeds": len(seeds), "error": estimate.value, "se": estimate.se,
                     "df": estimate.df, "low": estimate.low, "high": estimate.high})
    return pd.DataFrame(rows, columns=[*CONFIGURATION, "seeds", "error", "se", "df", "low",
                                       "high"])


def compare_with_baseline(runs: pd.DataFrame, errors: Errors) -> pd.DataFrame:
    """Every variant against `none` of the same architecture and size, seed by seed: the
    change of the test error in points and relative to `none`'s, each with its 95% interval,
    the two-sided p-value, Holm's over all the comparisons, the verdict, and the smallest
    change this design detects with 80% power at the strictest Holm level."""
    pairs = []  # (architecture, variant, size, the seeds both have)
    for (arch, reg, size), group in runs.groupby(CONFIGURATION, sort=False):
        base = runs[(runs.architecture == arch) & (runs.train_images == size)
                    & (runs.regularisation == BASELINE)]
        seeds = sorted(set(group.seed) & set(base.seed))
        if reg != BASELINE and seeds:
            pairs.append((arch, reg, size, seeds))
    # Holm's first step tests the smallest p against ALPHA / m: an effect this design
    # detects there is detected at every later step too.
    strictest = ALPHA / max(len(pairs), 1)
    rows = []
    for arch, reg, size, seeds in pairs:
        baseline = _table(errors, arch, BASELINE, size, seeds)
        effect = paired_effect(_table(errors, arch, reg, size, seeds), baseline)
        rows.append({"architecture": arch, "regularisation": reg, "train_images": size,
                     "seeds": len(seeds), "baseline_error": float(baseline.mean()),
                     "change": effect.points.value, "low": effect.points.low,
                     "high": effect.points.high, "se": effect.points.se, "df": effect.points.df,
                     "relative": effect.relative.value, "relative_low": effect.relative.low,
                     "relative_high": effect.relative.high, "p": effect.p,
                     "detectable": min_detectable(effect.points.se, effect.points.df,
                                                  strictest)})
    table = pd.DataFrame(rows, columns=[*CONFIGURATION, "seeds", "baseline_error", "change",
                                        "low", "high", "se", "df", "relative", "relative_low",
                                        "relative_high", "p", "detectable"])
    table.insert(len(table.columns) - 1, "p_holm", holm(table.p))
    table.insert(len(table.columns) - 1, "verdict",
                 [verdict(row.change, row.p_holm) for row in table.itertuples()])
    return table


def verdict(change: float, p_holm: float) -> str:
    """`helps` (the error falls) or `hurts` when Holm's p is below ALPHA, else `unclear`."""
    if p_holm >= ALPHA:
        return "unclear"
    return "helps" if change < 0 else "hurts"


def analyse_effects(summaries: Sequence[Path], predictions: Sequence[Path], *,
                    errors_out: Path, effects_out: Path) -> pd.DataFrame:
    """Write every configuration's error (`errors_out`) and every comparison with `none`
    (`effects_out`), both CSV; return the comparisons."""
    runs, errors = read_runs(summaries, predictions)
    write_text(errors_out, configuration_errors(runs, errors).to_csv(index=False))
    effects = compare_with_baseline(runs, errors)
    write_text(effects_out, effects.to_csv(index=False))
    return effects
