"""Statistics of the study: intervals over seeds, paired tests on the same test images, and
the correction for testing many comparisons at once (scipy and statsmodels).

A configuration trained with k seeds and evaluated on the same N test images gives a k × N
table (seeds × images). Its mean is uncertain for two reasons: another seed trains another
model, and the test images are a sample of the digits the model will meet. `crossed_mean`
counts both, as a crossed two-way random-effects design (generalizability theory), and
`error_rate` and `paired_effect` build on it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special
from statsmodels.stats.contingency_tables import mcnemar as _mcnemar
from statsmodels.stats.multitest import multipletests

ALPHA = 0.05


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


@dataclass(frozen=True)
class Estimate:
    """A mean with its standard error and its symmetric Student-t interval
    value ± t(df) · se at the level asked for; never clipped, its width is the uncertainty.
    df is the effective degrees of freedom of that interval (see _crossed_variance)."""

    value: float
    se: float
    df: float
    low: float
    high: float


@dataclass(frozen=True)
class Effect:
    """A variant against its baseline on the same seeds and test images.

    points: variant error − baseline error, as fractions (× 100 for points);
    relative: that difference over the baseline error (delta method; nan without baseline
    errors); p: two-sided p-value of points.value / points.se with points.df;
    detectable: the smallest |difference| (fraction) this design detects with 80% power at
    the level tested (min_detectable), so that "no significant difference" can say how
    small a difference went unseen."""

    points: Estimate
    relative: Estimate
    p: float
    detectable: float


_NO_ESTIMATE = Estimate(math.nan, math.nan, math.nan, math.nan, math.nan)


def _table(values: np.ndarray, name: str = "table") -> np.ndarray:
    table = np.asarray(values, dtype=float)
    if table.ndim != 2 or table.shape[0] < 1 or table.shape[1] < 2:
        raise ValueError(f"{name} must be a k × N table (seeds × test images) with N ≥ 2, "
                         f"got shape {table.shape}")
    return table


def _t(df: float, level: float) -> float:
    """Two-sided Student-t quantile (scipy.special: 70 times faster than stats.t.ppf)."""
    return float(special.stdtrit(df, 0.5 + level / 2))


def _crossed_variance(table: np.ndarray, level: float) -> tuple[float, float]:
    """Variance of the grand mean of a k × N table (seeds × images, both random and crossed)
    and the effective degrees of freedom of its `level` interval.

    With x[s, i] = m + a_s + b_i + e_si, var(mean) = σa²/k + σb²/N + σe²/(kN), estimated
    without bias by (MS_seeds + MS_images − MS_res)/(kN): var_s(seed means)/k, which holds
    the seed spread and the per-image noise, plus the test-image component
    (MS_images − MS_res)/(kN), taken as zero when negative (a variance cannot be). So V is
    never below the seed-only estimate var_s(seed means)/k. The seed component is never
    truncated: with 2 seeds a small seed spread is often chance, and dropping it then (with
    the df of the images) made the 95% intervals cover 89-90% in simulation.

    The interval's half-width adds the two parts' t intervals in quadrature (Banerjee 1960):
    sqrt(t²(k−1) · seeds + t²(N−1) · images) / sqrt(kN). Satterthwaite's df for the same sum
    grows when the seed mean square is small by chance, just when the seed term needs its
    heavy t(k−1) tail: its 95% intervals covered 88-94% at k = 2 and 93-95% at k = 3 in
    simulation, these 94-97%. The df returned is the one whose t quantile gives that
    half-width at `level`, between k − 1 (seeds only) and N − 1 (images only)."""
    k, n = table.shape
    image_means = table.mean(axis=0)
    if k == 1:
        # One seed: the seed-to-seed spread cannot be estimated; what is left is the test-image
        # sampling of this one trained model, var_i(x)/N with N − 1 df (it understates the
        # uncertainty about another training run).
        variance = float(image_means.var(ddof=1))
        return (0.0 if _negligible(variance, table) else variance / n), float(n - 1)
    seed_means = table.mean(axis=1)
    residual = table - seed_means[:, None] - image_means[None, :] + seed_means.mean()
    ms_res = float(np.einsum("ij,ij->", residual, residual)) / ((k - 1) * (n - 1))
    seeds = n * float(seed_means.var(ddof=1))
    images = max(0.0, k * float(image_means.var(ddof=1)) - ms_res)
    total = seeds + images
    if _negligible(total, table):
        return 0.0, float(k - 1)
    t_seeds, t_images = _t(k - 1, level), _t(n - 1, level)
    t_both = math.sqrt((t_seeds**2 * seeds + t_images**2 * images) / total)
    return total / (k * n), _df_of(t_both, k - 1, n - 1, level)


def _negligible(mean_square: float, table: np.ndarray) -> bool:
    """Every cell alike (no error anywhere, say): no variance, and the interval is the point.
    A repeated non-integer value leaves ~1e-30 of rounding rather than 0."""
    return mean_square <= 1e-20 * float(np.abs(table).max()) ** 2


def _df_of(quantile: float, few: int, many: int, level: float) -> float:
    """The df in [few, many] whose two-sided `level` t quantile is `quantile`."""
    few, many = min(few, many), max(few, many)
    if quantile >= _t(few, level):
        return float(few)
    if quantile <= _t(many, level):
        return float(many)
    log_df = optimize.brentq(lambda log_df: _t(math.exp(log_df), level) - quantile,
                             math.log(few), math.log(many), xtol=1e-9)
    return math.exp(log_df)


def _estimate(value: float, variance: float, df: float, level: float) -> Estimate:
    se = math.sqrt(variance)
    half = _t(df, level) * se if se > 0 else 0.0
    return Estimate(value, se, df, value - half, value + half)


def crossed_mean(table: np.ndarray, level: float = 0.95) -> Estimate:
    """Mean of a k × N table (seeds × test images) with an uncertainty that counts both the
    seed-to-seed spread and the finite test set (see _crossed_variance); `level` interval."""
    table = _table(table)
    return _estimate(float(table.mean()), *_crossed_variance(table, level), level)


def error_rate(errors: np.ndarray, level: float = 0.95) -> Estimate:
    """Test error of a configuration from its k × N table of per-image errors (bool: the run
    of seed s misclassifies image i), as a fraction, with its `level` interval."""
    return crossed_mean(_table(errors, "errors"), level)


def min_detectable(se: float, df: float, alpha: float = ALPHA, power: float = 0.8) -> float:
    """Smallest |effect| a two-sided t test at `alpha` detects with probability `power` when
    its estimate has standard error `se` with `df` degrees of freedom. A non-significant
    effect smaller than this was out of the design's reach, which is no evidence that there
    is no effect.

    It is (t_{1−alpha/2, df} + t_{power, df}) · se when df is large, or from 4 on within 1%,
    but that sum forgets that the se is estimated too: with 2 seeds (df 1) it says 14.1 se
    where 16.3 se are needed. So the noncentral t's power is solved for instead."""
    if se == 0:
        return 0.0
    critical = _t(df, 1 - alpha)

    def missing(noncentrality: float) -> float:
        below = special.nctdtr(df, noncentrality, -critical)  # nan when ~0
        return 1 - special.nctdtr(df, noncentrality, critical) + (
            0.0 if math.isnan(below) else below) - power

    guess = critical + float(special.stdtrit(df, power))
    high = 1.5 * guess
    while missing(high) < 0:
        high *= 2
    return float(optimize.brentq(missing, 0.0, high, xtol=1e-9 * guess)) * se


def paired_effect(variant_errors: np.ndarray, baseline_errors: np.ndarray,
                  alpha: float = ALPHA) -> Effect:
    """A variant against its baseline from their k × N error tables: rows the same seeds in
    the same order, columns the same test images, so that the pairing removes what the two
    share (the hard images, the seed); intervals at level 1 − alpha, and p < alpha exactly
    when the interval of `points` excludes 0 (the df is that of the 1 − alpha interval, so
    against much smaller thresholds, as in Holm's, p is close rather than exact).
    Mismatched shapes: ValueError.

    The relative effect R − 1, R = mean(e_v)/mean(e_b), takes its variance from the delta
    method: the linearised table z = (e_v − R e_b)/mean(e_b) has the same seeds × images
    structure, so its crossed variance is that of R."""
    variant = _table(variant_errors, "variant_errors")
    baseline = _table(baseline_errors, "baseline_errors")
    if variant.shape != baseline.shape:
        raise ValueError(f"variant and baseline tables differ in shape: {variant.shape} "
                         f"against {baseline.shape} (same seeds, same test images)")
    level = 1 - alpha
    points = crossed_mean(variant - baseline, level)
    base_mean = float(baseline.mean())
    if base_mean > 0:
        ratio = float(variant.mean()) / base_mean
        z = (variant - ratio * baseline) / base_mean
        relative = _estimate(ratio - 1, *_crossed_variance(z, level), level)
    else:
        relative = _NO_ESTIMATE
    if points.se > 0:
        p = float(2 * special.stdtr(points.df, -abs(points.value) / points.se))
    else:
        p = 1.0 if points.value == 0 else 0.0
    return Effect(points, relative, p, min_detectable(points.se, points.df, alpha))
