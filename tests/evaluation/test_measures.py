from __future__ import annotations

import ir_measures
import pytest

from bench.datasets import resolve_dataset
from bench.errors import EvaluationError
from bench.evaluation import evaluate
from bench.evaluation.measures import DEFAULT_MEASURES, Measure, parse_measure, parse_measures, with_defaults
from bench.execute import execute_run
from bench.specs import load_spec
from bench.types import Run
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("text", "measure", "canonical"),
    [
        ("nDCG@10", Measure("nDCG", 10), "nDCG@10"),
        ("ndcg@10", Measure("nDCG", 10), "nDCG@10"),
        ("NDCG@20", Measure("nDCG", 20), "nDCG@20"),
        ("R@100", Measure("R", 100), "R@100"),
        ("Recall@100", Measure("R", 100), "R@100"),
        ("AP@1000", Measure("AP", 1000), "AP@1000"),
        ("AP", Measure("AP"), "AP"),
        ("RR@10", Measure("RR", 10), "RR@10"),
        ("MRR@10", Measure("RR", 10), "RR@10"),  # ir_measures' alias, written canonically
        ("P@10", Measure("P", 10), "P@10"),
        ("P(rel=2)@10", Measure("P", 10, (("rel", 2),)), "P(rel=2)@10"),
        (" p(rel=2) @10", Measure("P", 10, (("rel", 2),)), "P(rel=2)@10"),
        ("Judged@10", Measure("Judged", 10), "Judged@10"),
        ("success@5", Measure("Success", 5), "Success@5"),
        ("Bpref", Measure("Bpref"), "Bpref"),
    ],
)
def test_parse_canonical_names(text: str, measure: Measure, canonical: str) -> None:
    m = parse_measure(text)
    assert m == measure and str(m) == canonical
    assert ir_measures.parse_measure(canonical) == m.ir  # the stored name reads back as the same ir_measures measure


@pytest.mark.parametrize(
    ("bad", "suggestion"),
    [
        ("nDGC@10", "did you mean nDCG@10?"),
        ("Sucess@5", "did you mean Success@5?"),
        ("judgd@10", "did you mean Judged@10?"),
        ("recal@100", "did you mean R@100?"),
        ("R", "did you mean R@10?"),
        ("P", "did you mean P@10?"),
    ],
)
def test_unknown_names_suggest_close_ones(bad: str, suggestion: str) -> None:
    with pytest.raises(EvaluationError) as e:
        parse_measure(bad)
    assert e.value.exit_code == 6
    message = str(e.value)
    assert f"'{bad}'" in message and message.endswith(suggestion) and "\n" not in message


@pytest.mark.parametrize(
    "bad",
    [
        "nDCG@0",
        "nDCG@ten",
        "P@10.5",
        "R@1e3",
        "",
        "@10",
        "xyz",
        "P(foo=1)@5",
        "P(rel='x')@10",
        "nDCG@10;import os",
        "alpha_nDCG@10",
        "n" * 500,
    ],
)
def test_unreadable_incomplete_or_uncomputable_names_are_one_line_errors(bad: str) -> None:
    with pytest.raises(EvaluationError) as e:
        parse_measure(bad)
    assert "metric '" in str(e.value) and "\n" not in str(e.value) and len(str(e.value)) < 300


def test_default_measures_and_extras() -> None:
    assert [str(m) for m in DEFAULT_MEASURES] == ["nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10"]
    assert [str(m) for m in with_defaults(["ndcg@10", "Judged@10", "judged@10"])] == [*map(str, DEFAULT_MEASURES), "Judged@10"]
    assert parse_measures(["MRR@10", "RR@10"]) == (Measure("RR", 10),)


@pytest.fixture(scope="module")
def cranfield_run() -> Run:
    _, out, _ = execute_run(load_spec(ROOT / "models" / "bm25-flat.yaml"), resolve_dataset("cranfield"), db=None)
    return out.run


EXTRA = ["nDCG@20", "P(rel=2)@10", "Judged@10", "Success@5", "RR(rel=2)@5", "nDCG", "Bpref", "SetP", "ERR@20"]


def test_any_measure_equals_ir_measures_own_computation(cranfield_run: Run) -> None:
    """Cranfield's graded qrels (0-4) on a real BM25 run: every value equals ir_measures' calc_aggregate and iter_calc."""
    qrels = resolve_dataset("cranfield").qrels()
    ours = evaluate(cranfield_run, qrels, with_defaults(EXTRA))
    measures = [ir_measures.parse_measure(m) for m in [*map(str, DEFAULT_MEASURES), *EXTRA]]
    theirs = ir_measures.calc_aggregate(measures, qrels, cranfield_run.as_dict())
    assert set(ours.aggregate) == {str(m) for m in measures}
    for m in measures:
        assert ours.aggregate[str(m)] == pytest.approx(theirs[m], abs=1e-12), m
    assert ours.aggregate["P(rel=2)@10"] < ours.aggregate["P@10"]  # graded: fewer documents count at rel >= 2
    for metric in ir_measures.iter_calc(measures, qrels, cranfield_run.as_dict()):
        assert ours.per_query[metric.query_id][str(metric.measure)] == pytest.approx(metric.value, abs=1e-12)


def test_extra_measures_keep_trec_eval_c_semantics(cranfield_run: Run) -> None:
    """A judged query the run does not answer scores 0 on every measure, extras included; every judged query has a row."""
    qrels = resolve_dataset("cranfield").qrels()
    kept = sorted(cranfield_run.results)[::2]
    partial = Run({q: cranfield_run.results[q] for q in kept}, tag="half")
    result = evaluate(partial, qrels, ["Judged@10", "P(rel=2)@10", "ERR@20"])
    assert set(result.per_query) == set(qrels) and result.answered_queries == len([q for q in kept if q in qrels])
    missing = next(q for q in qrels if q not in partial.results)
    assert all(v == 0.0 for v in result.per_query[missing].values())
    full = evaluate(cranfield_run, qrels, ["Judged@10"]).per_query
    expected = sum(full[q]["Judged@10"] for q in kept if q in qrels) / len(qrels)
    assert result.aggregate["Judged@10"] == pytest.approx(expected, abs=1e-12)


def test_identical_ids_are_dropped_for_extra_measures_too() -> None:
    qrels = {"225": {"225": 2, "1": 0}}
    run = Run({"225": [("225", 9.0), ("1", 8.0)]}, tag="t")
    kept = evaluate(run, qrels, ["Judged@1", "P(rel=2)@1", "RR(rel=2)@1"]).aggregate
    dropped = evaluate(run, qrels, ["Judged@1", "P(rel=2)@1", "RR(rel=2)@1"], drop_identical_ids=True).aggregate
    assert kept == {"Judged@1": 1.0, "P(rel=2)@1": 1.0, "RR(rel=2)@1": 1.0}
    assert dropped == {"Judged@1": 1.0, "P(rel=2)@1": 0.0, "RR(rel=2)@1": 0.0}  # document 1 (judged 0) moves to rank 1
