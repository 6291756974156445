from __future__ import annotations

import pytest

from bench.errors import EvaluationError
from bench.evaluation.measures import DEFAULT_MEASURES, Measure, parse_measure


@pytest.mark.parametrize(
    ("text", "measure", "trec"),
    [
        ("nDCG@10", Measure("nDCG", 10), "ndcg_cut.10"),
        ("ndcg@10", Measure("nDCG", 10), "ndcg_cut.10"),
        ("R@100", Measure("R", 100), "recall.100"),
        ("AP@1000", Measure("AP", 1000), "map_cut.1000"),
        ("AP", Measure("AP"), "map"),
        ("RR@10", Measure("RR", 10), "recip_rank"),
        ("P@10", Measure("P", 10), "P.10"),
    ],
)
def test_parse_canonical_names(text: str, measure: Measure, trec: str) -> None:
    m = parse_measure(text)
    assert m == measure and m.trec_measure == trec
    assert str(m) == text.replace("ndcg", "nDCG")


@pytest.mark.parametrize("bad", ["MRR@10", "nDCG@0", "R", "P", "nDCG@ten", ""])
def test_unknown_or_incomplete_names_are_rejected(bad: str) -> None:
    with pytest.raises(EvaluationError):
        parse_measure(bad)


def test_default_measures() -> None:
    assert [str(m) for m in DEFAULT_MEASURES] == ["nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10"]
