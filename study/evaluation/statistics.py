"""Statistics of the study: intervals over seeds, paired tests on the same test images, and
the correction for testing many comparisons at once (scipy and statsmodels)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar as _mcnemar
from statsmodels.stats.multitest import multipletests

ALPHA = 0.05


def interval95(values: pd.Series) -> tuple[float, float] | None:
    """Student-t 95% interval of the mean over seeds (None with a single seed), clipped to
    [0, 1]: with few seeds the t quantile is large and an accuracy cannot pass 100%."""
    n = len(values)
    if n < 2:
        return None
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return max(0.0, values.mean() - half), min(1.0, values.mean() + half)


def mcnemar(a_correct: np.ndarray, b_correct: np.ndarray) -> tuple[int, int, float]:
    """Exact McNemar test of two models on the same test images: (images only `a` gets
    right, images only `b` gets right, two-sided p-value)."""
    only_a = int((a_correct & ~b_correct).sum())
    only_b = int((b_correct & ~a_correct).sum())
    both = int((a_correct & b_correct).sum())
    neither = len(a_correct) - both - only_a - only_b
    if only_a + only_b == 0:
        return 0, 0, 1.0
    table = np.array([[both, only_a], [only_b, neither]])
    return only_a, only_b, float(_mcnemar(table, exact=True).pvalue)


def holm(p_values: pd.Series) -> pd.Series:
    """Holm-adjusted p-values: compared with ALPHA, they keep the chance of any false claim
    among all the comparisons below 5%."""
    if len(p_values) == 0:
        return p_values.astype(float)
    return pd.Series(multipletests(p_values.to_numpy(), method="holm")[1], index=p_values.index)


def correct_on_test(predictions: Path) -> np.ndarray:
    """Which test images a run classifies correctly, from its predictions (npz)."""
    with np.load(predictions) as f:
        return f["predicted"] == f["labels"]


def against_baseline(runs: pd.DataFrame, correct: Callable[[Any], np.ndarray],
                     baseline: str = "none") -> pd.DataFrame:
    """Every run of every other variant against its architecture's `baseline` run of the same
    seed: accuracy difference, exact McNemar test, Holm correction across all these tests.
    `correct(run)` says which test images a row of `runs` classifies correctly."""
    base = runs[runs.regularisation == baseline].set_index(["architecture", "seed"])
    rows = []
    for run in runs[runs.regularisation != baseline].itertuples():
        if (run.architecture, run.seed) not in base.index:
            continue
        reference = base.loc[(run.architecture, run.seed)]
        only_variant, only_baseline, p = mcnemar(correct(run), correct(
            {"architecture": run.architecture, "regularisation": baseline, "seed": run.seed}))
        rows.append({"architecture": run.architecture, "regularisation": run.regularisation,
                     "seed": run.seed, "delta": run.test_accuracy - reference.test_accuracy,
                     "only_variant": only_variant, "only_baseline": only_baseline, "p": p})
    tests = pd.DataFrame(rows, columns=["architecture", "regularisation", "seed", "delta",
                                        "only_variant", "only_baseline", "p"])
    tests["p_holm"] = holm(tests.p)
    tests["significant"] = tests.p_holm < ALPHA
    return tests


def verdict(tests: pd.DataFrame) -> str:
    """One variant's effect over its seeds: significant only if every seed's test is, after
    Holm, and all point the same way."""
    if len(tests) == 0:
        return "no baseline run to compare with"
    if tests.significant.all() and ((tests.delta > 0).all() or (tests.delta < 0).all()):
        return "helps" if tests.delta.iloc[0] > 0 else "hurts"
    return "no significant difference"
