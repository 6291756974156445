"""Verdicts like Pyserini's 2CR: OK exact, OKish within tolerance, FAIL beyond it in either direction."""

from __future__ import annotations

import math

import pytest

from bench.evaluation.verdicts import EXACT, MetricCheck, compare, overall, verdict


@pytest.mark.parametrize(
    ("expected", "observed", "tolerance", "want"),
    [
        (0.4747, 0.4747, 0.0, "OK"),
        (0.4747, 0.4747 + EXACT / 2, 0.0, "OK"),  # summation-order noise of a mean
        (0.4747, 0.4748, 0.0, "FAIL"),  # exact tolerance: any real change fails
        (0.4747, 0.4749, 0.0005, "OKish"),
        (0.4747, 0.4745, 0.0005, "OKish"),
        (0.4747, 0.4753, 0.0005, "FAIL"),  # better than expected is a FAIL too: something changed
        (0.4747, 0.4741, 0.0005, "FAIL"),
        (0.4747, None, 1.0, "FAIL"),  # not computed
        (0.4747, math.nan, 1.0, "FAIL"),
        (math.nan, 0.4747, 1.0, "FAIL"),
    ],
)
def test_verdict(expected: float, observed: float | None, tolerance: float, want: str) -> None:
    assert verdict(expected, observed, tolerance) == want


def test_compare_uses_each_metrics_tolerance_and_ignores_extra_metrics() -> None:
    tolerances = {"nDCG@10": 0.01, "R@100": 0.0}
    checks = compare({"nDCG@10": 0.5, "R@100": 0.7}, {"nDCG@10": 0.505, "R@100": 0.7, "P@10": 0.3}, tolerances.__getitem__)
    assert [(c.metric, c.verdict) for c in checks] == [("nDCG@10", "OKish"), ("R@100", "OK")]
    assert checks[0].diff == pytest.approx(0.005)
    assert overall(checks) == "OKish"


def test_overall_is_the_worst_and_nothing_compared_is_a_fail() -> None:
    ok = MetricCheck("nDCG@10", 0.5, 0.5, 0.0, "OK")
    bad = MetricCheck("R@100", 0.5, 0.6, 0.0, "FAIL")
    assert overall([ok]) == "OK"
    assert overall([ok, bad]) == "FAIL"
    assert overall([]) == "FAIL"
    assert bad.diff == pytest.approx(0.1) and MetricCheck("P@10", 0.5, None, 0.0, "FAIL").diff is None
