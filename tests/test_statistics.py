"""The Holm correction, and the seeds × test images estimates (error rate, paired effect)
calibrated on simulated studies."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from study.evaluation.statistics import (
    ALPHA,
    Estimate,
    crossed_mean,
    error_rate,
    holm,
    min_detectable,
    paired_effect,
)

N = 10000


def test_holm_matches_its_definition() -> None:
    p = pd.Series([0.01, 0.04, 0.03, 0.2])
    # Sorted: 0.01*4, max(0.03*3, .04), max(0.04*2, .09), max(0.2, .09) -> in input order:
    assert holm(p).tolist() == pytest.approx([0.04, 0.09, 0.09, 0.2])


# The crossed design: k seeds × N test images, both random. A simulated study draws N images
# from a population where image i has its own error probability p_i, and trains every model
# with k seeds, each seed shifting a model's error rate by u ~ Normal(0, seed_spread). A
# variant changes p_i by `effect` on average, by up to ±HETEROGENEITY on single images (it
# fixes some, breaks others). The variant and its baseline share one uniform per (seed,
# image): same marginals, but they agree on most images, as two real networks do.

LOW, HIGH = 0.04, 0.2  # image error probabilities, far enough from 0 for clipping to be rare
HETEROGENEITY = 0.03


def simulate(rng: np.random.Generator, studies: int, k: int, n: int, effects: tuple[float, ...],
             seed_spread: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per-image errors of a baseline and of one variant per effect, studies × k × n each.
    (uniform < q is the Bernoulli draw of q clipped to [0, 1], without the clipping's cost.)"""
    p = rng.uniform(LOW, HIGH, (studies, 1, n))
    shared = rng.random((studies, k, n))
    baseline = shared < p + rng.normal(0, seed_spread, (studies, k, 1))
    variants = [shared < (p + effect + HETEROGENEITY * rng.uniform(-1, 1, (studies, 1, n))
                          + rng.normal(0, seed_spread, (studies, k, 1)))
                for effect in effects]
    return baseline, variants


def covers(estimate: Estimate, truth: float) -> bool:
    return estimate.low <= truth <= estimate.high


def test_a_known_effect_is_detected() -> None:
    rng = np.random.default_rng(1)
    baseline, (better,) = simulate(rng, 200, 5, 2000, (-0.02,), seed_spread=0.002)
    detected = np.mean([paired_effect(better[s], baseline[s]).p < ALPHA for s in range(200)])
    assert detected >= 0.95


@pytest.mark.parametrize(("k", "seed_spread"), [(5, 0.01), (5, 0.0), (2, 0.01), (2, 0.0)])
def test_claims_and_intervals_are_calibrated(k: int, seed_spread: float) -> None:
    """No effect: significant in about 5% of the studies; a real effect of −1 point, the
    baseline's error rate and the relative effect: inside their 95% intervals in about 95%."""
    studies, effect = 500, -0.01
    rng = np.random.default_rng(k * 100 + int(seed_spread * 1000))
    baseline, (same, better) = simulate(rng, studies, k, 2000, (0.0, effect), seed_spread)
    null = [paired_effect(same[s], baseline[s]) for s in range(studies)]
    real = [paired_effect(better[s], baseline[s]) for s in range(studies)]
    claimed = np.mean([e.p < ALPHA for e in null])
    effect_covered = np.mean([covers(e.points, effect) for e in real])
    relative_covered = np.mean([covers(e.relative, effect / ((LOW + HIGH) / 2)) for e in real])
    rate_covered = np.mean([covers(error_rate(baseline[s]), (LOW + HIGH) / 2)
                            for s in range(studies)])
    assert 0.02 <= claimed <= 0.09
    assert 0.92 <= effect_covered <= 0.98
    assert 0.92 <= relative_covered <= 0.98
    assert 0.92 <= rate_covered <= 0.98


def test_the_crossed_mean_on_a_table_computed_by_hand() -> None:
    # Rows 3 apart in every column, so no residual: MS_seeds = 3 · var(3, 6) = 13.5,
    # MS_images = 2 · var(2.5, 3.5, 7.5) = 14, V = (13.5 + 14 − 0)/(2 · 3) = 4.58 and the
    # half-width adds the t intervals of the two parts in quadrature, t(1) and t(2).
    table = np.array([[1.0, 2.0, 6.0], [4.0, 5.0, 9.0]])
    estimate = crossed_mean(table)
    assert estimate.value == pytest.approx(4.5)
    assert estimate.se == pytest.approx(math.sqrt(27.5 / 6))
    half = math.sqrt(stats.t.ppf(0.975, 1)**2 * 13.5 + stats.t.ppf(0.975, 2)**2 * 14) / math.sqrt(6)
    assert (estimate.low, estimate.high) == pytest.approx((4.5 - half, 4.5 + half))
    assert 1 < estimate.df < 2
    assert stats.t.ppf(0.975, estimate.df) * estimate.se == pytest.approx(half)


def test_the_variance_counts_seeds_and_images_without_bias() -> None:
    # (MS_seeds + MS_images − MS_res)/(kN) = var(seed means)/k + var(image means)/N − MS_res/(kN)
    rng = np.random.default_rng(2)
    k, n = 4, 300
    table = (rng.normal(0, 1, (k, 1)) + rng.normal(0, 2, (1, n)) + rng.normal(0, 1, (k, n)))
    residual = (table - table.mean(axis=1, keepdims=True) - table.mean(axis=0, keepdims=True)
                + table.mean())
    ms_res = (residual**2).sum() / ((k - 1) * (n - 1))
    expected = (table.mean(axis=1).var(ddof=1) / k + table.mean(axis=0).var(ddof=1) / n
                - ms_res / (k * n))
    assert crossed_mean(table).se ** 2 == pytest.approx(expected)


def test_an_effect_and_its_relative_size_computed_by_hand() -> None:
    baseline = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=bool)  # 5 errors in 8
    variant = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=bool)  # 2 errors in 8
    effect = paired_effect(variant, baseline)
    # Differences [0 −1 0 0; −1 0 −1 0]: seed means −1/4, −1/2, MS_seeds = 4 · 1/32 = 1/8;
    # MS_images = 2 · var(−1/2, −1/2, −1/2, 0) = 1/8, below MS_res = 11/24, so the image
    # component is 0 and V = (1/8)/8, se 1/8 with the single seed df.
    assert effect.points.value == pytest.approx(-3 / 8)
    assert effect.points.se == pytest.approx(1 / 8)
    assert effect.points.df == pytest.approx(1)
    assert effect.p == pytest.approx(2 * stats.t.sf(3, 1))
    assert power_of_t_test(effect.detectable, 1 / 8, 1) == pytest.approx(0.8)
    # Relative: R = (2/8)/(5/8) = 0.4; z = (variant − 0.4 baseline)/(5/8) = [.96 −.64 0 0;
    # −.64 .96 −.64 0]: seed means ±0.08, MS_seeds = 4 · 0.0128 = 0.0512; MS_images =
    # 2 · var(.16, .16, −.32, 0) = 0.1024 < MS_res = 0.9045; V = 0.0512/8, se 0.08.
    assert effect.relative.value == pytest.approx(-0.6)
    assert effect.relative.se == pytest.approx(0.08)
    half = stats.t.ppf(0.975, 1) * 0.08
    assert (effect.relative.low, effect.relative.high) == pytest.approx((-0.6 - half,
                                                                         -0.6 + half))


def power_of_t_test(effect: float, se: float, df: float) -> float:
    critical = stats.t.ppf(1 - ALPHA / 2, df)
    # P(T < −c) as P(−T > c): scipy's nct.cdf is nan in part of its far tail
    return stats.nct.sf(critical, df, effect / se) + stats.nct.sf(critical, df, -effect / se)


def test_the_smallest_detectable_effect_is_detected_four_times_in_five() -> None:
    # Many df: the textbook (z_{1−α/2} + z_{power}) · se; few: the noncentral t's power.
    assert min_detectable(0.01, 1e7) == pytest.approx(
        (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 0.01, rel=1e-5)
    assert min_detectable(0.01, 1e7, alpha=0.01, power=0.9) == pytest.approx(
        (stats.norm.ppf(0.995) + stats.norm.ppf(0.9)) * 0.01, rel=1e-5)
    for df in (1, 4, 30):
        assert power_of_t_test(min_detectable(0.01, df), 0.01, df) == pytest.approx(0.8)
    # In simulated studies: the design's se from a pilot, then studies with that effect.
    rng = np.random.default_rng(3)
    baseline, (pilot,) = simulate(rng, 200, 5, 2000, (-0.006,), seed_spread=0.002)
    pilots = [paired_effect(pilot[s], baseline[s]).points for s in range(200)]
    smallest = min_detectable(math.sqrt(np.mean([e.se**2 for e in pilots])),
                              float(np.median([e.df for e in pilots])))
    baseline, (variant,) = simulate(rng, 400, 5, 2000, (-smallest,), seed_spread=0.002)
    detected = np.mean([paired_effect(variant[s], baseline[s]).p < ALPHA for s in range(400)])
    assert 0.70 <= detected <= 0.90


def test_a_single_seed_counts_the_test_images_only() -> None:
    errors = np.zeros((1, 1000), dtype=bool)
    errors[0, :50] = True
    estimate = error_rate(errors)
    assert estimate.value == pytest.approx(0.05)
    assert estimate.se == pytest.approx(math.sqrt(errors[0].var(ddof=1) / 1000))
    assert estimate.df == 999


def test_no_error_anywhere_gives_the_point_and_no_claim() -> None:
    none = np.zeros((3, 500), dtype=bool)
    rate = error_rate(none)
    assert (rate.value, rate.se, rate.low, rate.high) == (0, 0, 0, 0)
    effect = paired_effect(none, none)
    assert effect.p == 1 and effect.points.low == effect.points.high == 0
    assert math.isnan(effect.relative.value)  # relative to no error at all


def test_tables_that_do_not_pair_are_refused() -> None:
    errors = np.zeros((3, 500), dtype=bool)
    with pytest.raises(ValueError, match="shape"):
        paired_effect(errors, errors[:2])
    with pytest.raises(ValueError, match="shape"):
        paired_effect(errors, errors[:, :400])
    with pytest.raises(ValueError):
        error_rate(errors[0])
