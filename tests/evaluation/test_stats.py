"""Paired significance tests, multiple-comparison corrections and bootstrap CIs (bench.evaluation.stats)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as scipy_stats

from bench.evaluation import stats


def _exact_sign_flip_p(d: np.ndarray) -> float:
    """The exact two-sided sign-flip permutation p-value (all 2^n sign assignments)."""
    observed = abs(d.mean())
    flips = np.array(list(itertools.product((-1, 1), repeat=d.size)))
    return float(np.mean(np.abs(flips @ d) / d.size >= observed - 1e-12))


def test_randomization_matches_the_exact_permutation_test() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1, 12)
    b = a - rng.normal(0.04, 0.15, 12)
    exact = _exact_sign_flip_p(a - b)
    approx = stats.paired_randomization_test(a, b, resamples=40_000, seed=3)
    assert 0.01 < exact < 0.9  # a case where the answer is neither trivial end
    assert approx == pytest.approx(exact, abs=0.01)


def test_the_randomization_test_is_scipys_paired_permutation_test() -> None:
    """scipy.stats.permutation_test (paired samples: sign flips) enumerates all 2^12 flips: the same p as ours exactly
    enumerated, and ours (Monte Carlo) within its error. Kept ours: 4-45x faster on 35-300 queries (median of 5:
    0.2-20 ms against 82-722 ms at 10,000 resamples), and a leaderboard page reuses one draw over its comparisons."""
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1, 12)
    b = a - rng.normal(0.04, 0.15, 12)
    exact = scipy_stats.permutation_test(
        (a, b),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=10**6,
        alternative="two-sided",
    )
    assert exact.pvalue == pytest.approx(_exact_sign_flip_p(a - b), abs=1e-12)
    assert stats.paired_randomization_test(a, b, resamples=40_000, seed=3) == pytest.approx(exact.pvalue, abs=0.01)


def test_the_bootstrap_ci_is_scipys_percentile_bootstrap() -> None:
    """scipy.stats.bootstrap(method="percentile") gives the same interval up to resampling error (another draw).
    Kept ours: 20-25x faster (0.3-1.1 ms against 7-29 ms at 2,000 resamples, 35-300 queries, median of 5)."""
    rng = np.random.default_rng(6)
    d = rng.normal(0.02, 0.15, 300)
    ours = stats.bootstrap_ci(d, 0.95, 20_000, seed=0)
    theirs = scipy_stats.bootstrap(
        (d,), np.mean, method="percentile", n_resamples=20_000, vectorized=True, confidence_level=0.95, random_state=0
    ).confidence_interval
    width = theirs.high - theirs.low
    assert ours == pytest.approx((theirs.low, theirs.high), abs=0.03 * width)


def test_randomization_extremes_and_reproducibility() -> None:
    a = np.linspace(0.2, 0.9, 40)
    assert stats.paired_randomization_test(a, a) == 1.0
    p = stats.paired_randomization_test(a, a - 0.3, resamples=5_000)
    assert p == pytest.approx(1 / 5_001)  # every flip is smaller than the all-positive observed mean
    noisy = a + np.where(np.arange(40) % 2, 0.05, -0.05)
    assert stats.paired_randomization_test(a, noisy, seed=7) == stats.paired_randomization_test(a, noisy, seed=7)
    assert stats.paired_randomization_test(a, noisy) > 0.5


def test_large_draws_are_streamed_in_blocks_and_agree_with_the_t_test() -> None:
    """500 queries x 10,000 resamples is too big to keep: drawn in blocks, same answer as the t-test asymptotically."""
    rng = np.random.default_rng(5)
    a = rng.uniform(0, 1, 500)
    b = a - rng.normal(0.01, 0.2, 500)
    p_rand = stats.paired_randomization_test(a, b, resamples=10_000)
    assert 0.05 < p_rand < 0.95
    assert p_rand == pytest.approx(stats.paired_t_test(a, b), abs=0.03)
    lo, hi = stats.bootstrap_ci(a - b, resamples=10_000)
    assert lo < (a - b).mean() < hi


def test_t_test_agrees_with_scipy() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0, 1, 30), rng.uniform(0, 1, 30)
    assert stats.paired_t_test(a, b) == pytest.approx(scipy_stats.ttest_rel(a, b).pvalue)
    assert stats.paired_t_test(a, a) == 1.0


def test_holm_and_bonferroni_adjust_as_published() -> None:
    """Equal to statsmodels' multipletests (holm, bonferroni) to 1e-15 on random p-values (checked by hand: statsmodels
    is no dependency of ours, 62 MB for these few lines)."""
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005*4=.02, 0.01*3=.03, 0.03*2=.06, 0.04*1=.04 -> monotone .06
    assert stats.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.bonferroni(p) == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert stats.bonferroni([0.5, 0.6]) == [1.0, 1.0]
    assert stats.holm([]) == []
    assert all(h <= b for h, b in zip(stats.holm(p), stats.bonferroni(p), strict=True))


def test_bootstrap_ci_covers_the_mean_and_shrinks_with_more_queries() -> None:
    rng = np.random.default_rng(4)
    small, large = rng.uniform(0, 1, 30), rng.uniform(0, 1, 3_000)
    lo, hi = stats.bootstrap_ci(small)
    assert lo < small.mean() < hi
    lo2, hi2 = stats.bootstrap_ci(large)
    assert (hi2 - lo2) < (hi - lo) / 4
    assert stats.bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    assert stats.bootstrap_ci(small, seed=9) == stats.bootstrap_ci(small, seed=9)
    with pytest.raises(ValueError, match="confidence"):
        stats.bootstrap_ci(small, confidence=1.5)


def test_compare_pairs_over_the_union_of_queries_counting_missing_as_zero() -> None:
    a = {"1": 1.0, "2": 0.5, "3": 0.0}
    b = {"1": 0.5, "2": 0.5, "4": 1.0}  # b did not answer 3, a did not answer 4
    c = stats.compare(a, b, resamples=2_000)
    assert c.queries == 4
    assert c.mean_a == pytest.approx(1.5 / 4)
    assert c.mean_b == pytest.approx(2.0 / 4)
    assert (c.wins, c.ties, c.losses) == (1, 2, 1)
    assert c.ci_low <= c.difference <= c.ci_high
    assert 0 < c.p_value <= 1
    with pytest.raises(ValueError, match="test must be"):
        stats.compare(a, b, test="wilcoxon")


def test_paired_values_must_have_the_same_queries() -> None:
    with pytest.raises(ValueError, match="same queries"):
        stats.paired_randomization_test([1.0, 2.0], [1.0])
