"""Reproducibility checks: re-run a spec, compare with its expected scores, give a verdict per metric.

The verdicts follow Pyserini's 2CR pages:

* ``OK`` — the observed score equals the expected one (to :data:`EXACT`, i.e. bit noise of a mean);
* ``OKish`` — it differs, but by no more than the spec's tolerance for that metric;
* ``FAIL`` — it differs by more, *above or below*: a better score is a change too.

Expected scores live in ``models/*.yaml`` (``expected:``, keyed by dataset content hash), tolerances in
the spec's ``tolerance:``. Nothing here runs models or writes the database; see :mod:`bench.reproduction`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["OK", "OKish", "FAIL"]
ToleranceFn = Callable[[str], float]

EXACT = 1e-12
"""Differences up to this are "exact": a mean of the same per-query values summed in another order."""

QUICK_DATASETS: tuple[str, ...] = ("adi", "time")
"""The small shared collections ``bench reproduce --quick`` (and so CI) checks for encoder specs: the one place they are named.

Chosen for time: short abstracts (ADI, 82 docs) and long articles that the encoders truncate (TIME, 423 docs).
Measured: every reference spec (BM25 flat and multifield, MiniLM, SPLADE-tiny) on both took 144 s on two
shared CPU cores with a cold cache; MED and CISI would add about 100 s per neural model each.

The rule of ``--quick`` (:func:`quick_keeps`): a spec whose ``family`` is in :data:`EVERY_DATASET_FAMILIES`
(lexical: no encoder, seconds per collection) keeps *every* ``expected:`` block; any other spec keeps the blocks
on :data:`QUICK_DATASETS`. The rest (encoders on Cranfield, MED, CISI, CACM and NPL) is checked by
``bench reproduce --all`` (weekly in .github/workflows/reproduce.yml).
"""

EVERY_DATASET_FAMILIES: tuple[str, ...] = ("lexical",)
"""Spec families whose every expected block ``--quick`` checks: they run no encoder, so all seven collections take seconds."""


def quick_keeps(family: str, dataset: str) -> bool:
    """Whether ``bench reproduce --quick`` checks a spec of ``family`` on ``dataset`` (see :data:`QUICK_DATASETS`)."""
    return family in EVERY_DATASET_FAMILIES or dataset in QUICK_DATASETS


@dataclass(frozen=True)
class MetricCheck:
    """One metric of one reproduction: expected, observed, their difference and the verdict."""

    metric: str
    expected: float
    observed: float | None
    tolerance: float
    verdict: Verdict

    @property
    def diff(self) -> float | None:
        """``observed - expected`` (None when the metric was not computed)."""
        return None if self.observed is None else self.observed - self.expected


def verdict(expected: float, observed: float | None, tolerance: float) -> Verdict:
    """OK when equal, OKish when within ``tolerance`` (absolute), FAIL otherwise (either direction).

    A missing or non-finite observation is a FAIL: a check must be able to fail.
    """
    if observed is None or not math.isfinite(observed) or not math.isfinite(expected):
        return "FAIL"
    diff = abs(observed - expected)
    if diff <= EXACT:
        return "OK"
    if diff <= tolerance:
        return "OKish"
    return "FAIL"


def compare(expected: Mapping[str, float], observed: Mapping[str, float], tolerance_for: ToleranceFn) -> list[MetricCheck]:
    """One :class:`MetricCheck` per expected metric, in the order the expectations list them.

    Args:
        expected: canonical metric name -> expected value.
        observed: canonical metric name -> observed value (extra metrics are ignored).
        tolerance_for: metric name -> absolute tolerance (e.g. ``ModelSpec.tolerance_for``).
    """
    checks = []
    for metric, exp in expected.items():
        obs = observed.get(metric)
        tol = tolerance_for(metric)
        checks.append(MetricCheck(metric, float(exp), None if obs is None else float(obs), tol, verdict(exp, obs, tol)))
    return checks


def overall(checks: Iterable[MetricCheck]) -> Verdict:
    """The worst verdict of a set of checks (an empty set is a FAIL: nothing was compared)."""
    verdicts = [c.verdict for c in checks]
    if not verdicts or "FAIL" in verdicts:
        return "FAIL"
    return "OKish" if "OKish" in verdicts else "OK"
