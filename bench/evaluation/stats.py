"""Significance and confidence over queries: paired tests, multiple-comparison corrections, bootstrap CIs.

Two runs on the same dataset are compared query by query (the queries are the sample). A query
that one run did not answer counts 0 for that run (trec_eval ``-c`` semantics), so a partial run
is never flattered by its gaps. Every random procedure takes a seed and is reproducible.

Why not the libraries (tests/evaluation/test_stats.py shows the numbers agree): scipy.stats.permutation_test (paired
samples) has the same null and p-value, and scipy.stats.bootstrap (percentile) the same interval up to resampling
error, but they are 4-45x and 20-25x slower on 35-300 queries, and a leaderboard page runs many comparisons over one
kept draw; Holm and Bonferroni equal statsmodels' multipletests, which is no dependency (62 MB for a few lines).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_CHUNK = 2_000  # resamples drawn at once when a draw is too big to keep (bounds memory: chunk x queries)
_KEEP = 4_000_000  # draws up to this many numbers are kept and reused: every comparison over n queries shares them


def align(a: Mapping[str, float], b: Mapping[str, float], fill: float = 0.0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Pair two ``qid -> value`` maps over the union of their queries (a missing query counts ``fill``).

    Returns:
        The sorted query ids and the two value arrays in that order.
    """
    qids = sorted(set(a) | set(b))
    return qids, np.array([a.get(q, fill) for q in qids], float), np.array([b.get(q, fill) for q in qids], float)


def paired_randomization_test(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, resamples: int = 10_000, seed: int = 0
) -> float:
    """Two-sided paired randomization (sign-flip permutation) test of mean(a - b) = 0.

    Each resample flips the sign of every per-query difference with probability 1/2. The p-value
    counts the observed statistic as one of the resamples, so it is never 0.

    Args:
        a: per-query values of the first run.
        b: per-query values of the second run, same queries in the same order.
        resamples: number of random sign assignments.
        seed: random seed.
    """
    d = _differences(a, b)
    if d.size == 0 or not np.any(d):
        return 1.0
    observed = abs(d.mean())
    hits = 0
    for signs in _blocks(d.size, resamples, seed, "signs"):
        hits += int(np.count_nonzero(np.abs(signs @ d) / d.size >= observed - 1e-12))
    return (hits + 1) / (resamples + 1)


def paired_t_test(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Two-sided paired t-test p-value (1.0 when every difference is 0)."""
    from scipy import stats

    d = _differences(a, b)
    if d.size < 2 or not np.any(d):
        return 1.0
    if np.all(d == d[0]):
        return 0.0  # a constant non-zero difference: infinitely significant for the t statistic
    return float(stats.ttest_1samp(d, 0.0).pvalue)


def bootstrap_ci(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95, resamples: int = 2_000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean of ``values`` (queries resampled with replacement)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    x = np.asarray(values, float)
    if x.size == 0:
        return (float("nan"), float("nan"))
    means = np.concatenate([x[idx].mean(axis=1) for idx in _blocks(x.size, resamples, seed, "indices")])
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni step-down adjusted p-values (same order as given)."""
    p = np.asarray(pvalues, float)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def bonferroni(pvalues: Sequence[float]) -> list[float]:
    """Bonferroni adjusted p-values (same order as given)."""
    p = np.asarray(pvalues, float)
    return np.minimum(1.0, p * p.size).tolist()


CORRECTIONS = {"holm": holm, "bonferroni": bonferroni}
TESTS = ("randomization", "t-test")


def win_tie_loss(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, tie: float = 1e-9) -> tuple[int, int, int]:
    """Queries where ``a`` beats ``b`` by more than ``tie``, is within ``tie``, loses by more than ``tie``."""
    d = _differences(a, b)
    return int(np.sum(d > tie)), int(np.sum(np.abs(d) <= tie)), int(np.sum(d < -tie))


@dataclass(frozen=True)
class PairedComparison:
    """Run A against run B on the same queries."""

    queries: int
    mean_a: float
    mean_b: float
    ci_low: float
    ci_high: float
    p_value: float
    wins: int
    ties: int
    losses: int

    @property
    def difference(self) -> float:
        """mean(A) - mean(B)."""
        return self.mean_a - self.mean_b


def compare(
    a: Mapping[str, float],
    b: Mapping[str, float],
    test: str = "randomization",
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> PairedComparison:
    """Paired comparison of two per-query maps: difference, its bootstrap CI, a p-value, win/tie/loss.

    Args:
        a: ``qid -> value`` of run A.
        b: ``qid -> value`` of run B (same dataset and metric).
        test: ``"randomization"`` (paired sign-flip) or ``"t-test"`` (paired t).
        confidence: level of the bootstrap interval of the mean difference.
        resamples: resamples of the randomization test (the bootstrap uses a fifth of them, at least 1,000).
        seed: random seed.
    """
    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, got {test!r}")
    _, x, y = align(a, b)
    d = x - y
    p = paired_randomization_test(x, y, resamples, seed) if test == "randomization" else paired_t_test(x, y)
    low, high = bootstrap_ci(d, confidence, max(1_000, resamples // 5), seed) if d.size else (float("nan"), float("nan"))
    w, t, loss = win_tie_loss(x, y)
    return PairedComparison(
        queries=int(d.size),
        mean_a=float(x.mean()) if x.size else float("nan"),
        mean_b=float(y.mean()) if y.size else float("nan"),
        ci_low=low,
        ci_high=high,
        p_value=p,
        wins=w,
        ties=t,
        losses=loss,
    )


@lru_cache(maxsize=8)
def _kept(n: int, resamples: int, seed: int, kind: str) -> np.ndarray:
    out = next(_draw(n, resamples, seed, kind, resamples))
    out.flags.writeable = False
    return out


def _draw(n: int, resamples: int, seed: int, kind: str, chunk: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    left = resamples
    while left > 0:
        k = min(left, chunk)
        if kind == "signs":
            yield rng.integers(0, 2, size=(k, n)).astype(np.float64) * 2 - 1
        else:
            yield rng.integers(0, n, size=(k, n))
        left -= k


def _blocks(n: int, resamples: int, seed: int, kind: str) -> Iterator[np.ndarray]:
    """Random sign flips (``kind="signs"``) or bootstrap indices, ``resamples`` rows of ``n``, in blocks.

    Small draws are cached, so the many comparisons of one page reuse the same draw (each test stays a
    valid randomization test; they are simply computed over the same random assignments).
    """
    if n * resamples <= _KEEP:
        yield _kept(n, resamples, seed, kind)
    else:
        yield from _draw(n, resamples, seed, kind, _CHUNK)


def _differences(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> np.ndarray:
    x, y = np.asarray(a, float), np.asarray(b, float)
    if x.shape != y.shape:
        raise ValueError(f"paired values need the same queries: got {x.size} and {y.size} values")
    return x - y
