"""Paired tests against the baseline, the Holm correction and the verdict per variant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from study.evaluation.statistics import against_baseline, holm, verdict
from study.run_files import run_key

N = 10000


def fake_runs() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Two seeds of lenet5 with none, augment (clearly better) and dropout (a wash)."""
    rng = np.random.default_rng(0)
    rows, correct = [], {}
    for seed in (0, 1):
        base = rng.random(N) > 0.02  # 98% right
        better = base | (rng.random(N) < 0.5)  # fixes about half of the errors
        wash = base.copy()  # 10 errors fixed, 10 new ones: no net effect
        flip = [*rng.choice(np.flatnonzero(base), 10, replace=False),
                *rng.choice(np.flatnonzero(~base), 10, replace=False)]
        wash[flip] = ~wash[flip]
        for reg, right in (("none", base), ("augment", better), ("dropout", wash)):
            correct[("lenet5", reg, seed)] = right
            rows.append({"architecture": "lenet5", "regularisation": reg, "seed": seed,
                         "test_accuracy": right.mean()})
    return pd.DataFrame(rows), correct


def test_each_variant_is_paired_with_the_same_seed_baseline() -> None:
    runs, correct = fake_runs()
    tests = against_baseline(runs, lambda run: correct[run_key(run)])
    assert len(tests) == 4 and set(tests.regularisation) == {"augment", "dropout"}
    row = tests[(tests.regularisation == "augment") & (tests.seed == 1)].iloc[0]
    expected_gain = correct[("lenet5", "augment", 1)].mean() - correct[
        ("lenet5", "none", 1)].mean()
    assert row.delta == pytest.approx(expected_gain)
    assert row.only_baseline == 0 and row.only_variant == round(expected_gain * N)
    assert (tests.p_holm >= tests.p).all()
    assert verdict(tests[tests.regularisation == "augment"]) == "helps"
    assert verdict(tests[tests.regularisation == "dropout"]) == "no significant difference"


def test_holm_matches_its_definition() -> None:
    p = pd.Series([0.01, 0.04, 0.03, 0.2])
    # Sorted: 0.01*4, max(0.03*3, .04), max(0.04*2, .09), max(0.2, .09) -> in input order:
    assert holm(p).tolist() == pytest.approx([0.04, 0.09, 0.09, 0.2])


def test_a_variant_significant_in_one_seed_only_is_not_claimed() -> None:
    tests = pd.DataFrame({"delta": [0.004, 0.001], "significant": [True, False]})
    assert verdict(tests) == "no significant difference"
    opposite = pd.DataFrame({"delta": [0.004, -0.004], "significant": [True, True]})
    assert verdict(opposite) == "no significant difference"
    worse = pd.DataFrame({"delta": [-0.004, -0.003], "significant": [True, True]})
    assert verdict(worse) == "hurts"
