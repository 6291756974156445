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


@pytest.mark.parametrize(
    ("trec", "canonical"),
    [
        ("ndcg_cut.10", "nDCG@10"),
        ("ndcg_cut_10", "nDCG@10"),
        ("NDCG_CUT.20", "nDCG@20"),
        ("recip_rank", "RR"),
        ("map", "AP"),
        ("map_cut.1000", "AP@1000"),
        ("P.10", "P@10"),
        ("P_10", "P@10"),
        ("recall.100", "R@100"),
        ("success.5", "Success@5"),
        ("Rprec", "Rprec"),
        ("bpref", "Bpref"),
        ("ndcg", "nDCG"),
    ],
)
def test_trec_eval_names_are_read_through_ir_measures_and_shown_canonically(trec: str, canonical: str) -> None:
    m = parse_measure(trec)
    assert str(m) == canonical
    assert [m.ir] == ir_measures.parse_trec_measure(trec if trec != "NDCG_CUT.20" else "ndcg_cut.20")  # ir_measures' own reading


@pytest.mark.parametrize(
    ("given", "note"),
    [
        ("map", "metric 'map' is trec_eval's name for AP; shown as AP"),
        ("ndcg_cut.10", "metric 'ndcg_cut.10' is trec_eval's name for nDCG@10; shown as nDCG@10"),
        ("MRR@10", "metric 'MRR@10' is ir_measures' alias name for RR@10; shown as RR@10"),
        ("ndcg@10", None),  # only a spelling
        ("nDCG@10", None),
    ],
)
def test_a_name_read_as_another_says_so(given: str, note: str | None) -> None:
    from bench.evaluation.measures import alias_note

    assert alias_note(given) == note


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("ndcg_cutt.10", "unknown metric 'ndcg_cutt.10'; did you mean ndcg_cut.10?"),
        ("recip_rnk", "unknown metric 'recip_rnk'; did you mean recip_rank?"),
        ("ndcg_cut", "ambiguous metric 'ndcg_cut'; trec_eval's ndcg_cut stands for 9 measures (nDCG@5, nDCG@10, nDCG@15, ...); name one, e.g. ndcg_cut.10"),
        ("P.5,10", "ambiguous metric 'P.5,10'; trec_eval's P.5,10 stands for 2 measures (P@5, P@10); name one, e.g. P.10"),
        ("all_trec", "unknown metric 'all_trec'; use an ir_measures or trec_eval name, e.g. nDCG@10, R@100, AP@1000, RR@10, P@10, P(rel=2)@10, Judged@10, Success@5, ndcg_cut.10, recip_rank"),
    ],
)  # fmt: skip
def test_a_wrong_trec_eval_name_is_one_line_with_did_you_mean(bad: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(EvaluationError) as e:
        parse_measure(bad)
    assert str(e.value) == message and e.value.exit_code == 6
    assert capsys.readouterr().out == ""  # ir_measures' "skipped [...]" print never reaches the terminal
