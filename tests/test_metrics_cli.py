"""Metrics by name on the command line: `bench eval --qrels FILE --metric ...`, specs expecting ir_measures-only measures, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import ir_measures
import pytest
import pytrec_eval

from bench.datasets import resolve_dataset
from bench.evaluation import write_trec_run
from bench.execute import execute_run
from bench.specs import load_spec
from tests.clihelp import bench
from tests.conftest import ROOT

FLAT = ROOT / "models" / "bm25-flat.yaml"
EXTRA = ["nDCG@20", "P(rel=2)@10", "Judged@10"]


@pytest.fixture(scope="module")
def cranfield_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real BM25 run on Cranfield (graded qrels, 0-4) as a TREC run file, and Cranfield's qrels as a TREC qrels file."""
    work = tmp_path_factory.mktemp("cranfield-files")
    _, out, _ = execute_run(load_spec(FLAT), resolve_dataset("cranfield"), db=None)
    run_file = work / "cranfield.trec"
    write_trec_run(out.run, run_file, tag="bm25-flat")
    qrels_file = work / "cranfield.qrels"
    qrels = resolve_dataset("cranfield").qrels()
    qrels_file.write_text("".join(f"{q} 0 {d} {g}\n" for q, docs in qrels.items() for d, g in docs.items()))
    return run_file, qrels_file


def test_eval_against_a_qrels_file_equals_ir_measures_and_pytrec_eval(
    cranfield_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    run_file, qrels_file = cranfield_files
    args = [a for m in EXTRA for a in ("--metric", m)]
    r = bench(capsys, "eval", run_file, "--qrels", qrels_file, *args, "--json")
    assert r.code == 0, r.err
    ours = r.json()["metrics"]
    assert list(ours) == ["nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10", *EXTRA]  # on top of the default set
    # ir_measures on the same files, read by its own readers
    qrels = list(ir_measures.read_trec_qrels(str(qrels_file)))
    run = list(ir_measures.read_trec_run(str(run_file)))
    theirs = ir_measures.calc_aggregate([ir_measures.parse_measure(m) for m in ours], qrels, run)
    for measure, value in theirs.items():
        assert ours[str(measure)] == pytest.approx(value, abs=1e-12), measure
    # nDCG@20 straight from pytrec_eval
    qd = {q: dict(d) for q, d in resolve_dataset("cranfield").qrels().items()}
    rd: dict[str, dict[str, float]] = {}
    for line in run_file.read_text().splitlines():
        q, _, d, _, s, _ = line.split()
        rd.setdefault(q, {})[d] = float(s)
    per_query = pytrec_eval.RelevanceEvaluator(qd, {"ndcg_cut.20"}).evaluate(rd)
    assert ours["nDCG@20"] == pytest.approx(sum(v["ndcg_cut_20"] for v in per_query.values()) / len(qd), abs=1e-12)
    assert ours["P(rel=2)@10"] < ours["P@10"]  # graded judgments: a higher relevance level admits fewer documents
    # BEIR's tsv (with its header) gives the same numbers; the table shows every metric
    beir = bench(capsys, "eval", run_file, "--qrels", resolve_dataset("cranfield").qrels_path, *args, "--json").json()["metrics"]
    assert beir == ours
    table = bench(capsys, "eval", run_file, "--qrels", qrels_file, *args)
    assert table.code == 0 and all(m in table.out for m in EXTRA) and "225/225 judged queries answered" in table.out


def test_qrels_file_problems_are_one_line_with_file_and_line(cranfield_files: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    run_file, _ = cranfield_files
    cases = {
        "1 0 184 3\n1 0 29 x\n": "bad.qrels:2: score 'x' is not an integer",
        "1 0 184 3\n1 0 29\n": "bad.qrels:2: expected 4 whitespace-separated columns, found 3",
        "1 0 184 3\n1 0 184 2\n": "bad.qrels:2: duplicate judgment for query '1', document '184'",
        "1 0 184 3\n\n1 0 29 99999\n": "bad.qrels:3: grade 99999 is outside -1000..1000",
        "query-id\tcorpus-id\tscore\n1\t18 4\t1\n": "bad.qrels:2: corpus-id '18 4' contains whitespace",
        "": "bad.qrels: the qrels file has no judgments",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.qrels"
        bad.write_text(text)
        r = bench(capsys, "eval", run_file, "--qrels", bad)
        assert r.code == 3, (text, r.err)
        assert message in r.err and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


def test_qrels_and_dataset_are_exclusive_and_record_needs_a_dataset(
    cranfield_files: tuple[Path, Path], db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_file, qrels_file = cranfield_files
    both = bench(capsys, "eval", run_file, "--qrels", qrels_file, "-d", "cranfield")
    neither = bench(capsys, "eval", run_file)
    record = bench(capsys, "eval", run_file, "--qrels", qrels_file, "--record", "--family", "lexical", "--db", db_path)
    assert (both.code, neither.code, record.code) == (2, 2, 2)
    assert "--dataset NAME or --qrels FILE" in both.err and "--dataset NAME or --qrels FILE" in neither.err
    assert "--record needs --dataset" in record.err
    assert not db_path.exists()


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("nDGC@20", "error: unknown metric 'nDGC@20'; did you mean nDCG@20?"),
        ("Sucess@5", "error: unknown metric 'Sucess@5'; did you mean Success@5?"),
        ("R", "error: incomplete metric 'R'; R needs a cutoff: did you mean R@10?"),
    ],
)
def test_an_unknown_metric_is_one_line_exit_6(
    metric: str, message: str, cranfield_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    run_file, qrels_file = cranfield_files
    for judgments in (["--qrels", qrels_file], ["-d", "cranfield"]):
        r = bench(capsys, "eval", run_file, *judgments, "--metric", "Judged@10", "--metric", metric)
        assert r.code == 6 and r.err.strip() == message and r.out == ""


def test_extra_metrics_are_recorded_with_the_run(
    cranfield_files: tuple[Path, Path], db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_file, _ = cranfield_files
    r = bench(
        capsys, "eval", run_file, "-d", "cranfield", "--record", "--model", "my-bm25", "--family", "lexical", "--db", db_path, "--json",
        "--metric", "Judged@10", "--metric", "p(rel=2)@10",
    )  # fmt: skip
    assert r.code == 0, r.err
    payload = r.json()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        stored = dict(con.execute("SELECT metric, value FROM metrics WHERE run_id = ?", [payload["run_id"]]).fetchall())
        per_query = con.execute(
            "SELECT metric, count(*), avg(value) FROM query_metrics WHERE run_id = ? GROUP BY metric", [payload["run_id"]]
        ).fetchall()
    finally:
        con.close()
    assert stored == pytest.approx(payload["metrics"], abs=1e-12) and {"Judged@10", "P(rel=2)@10"} <= set(stored)
    judged = resolve_dataset("cranfield").qrels()
    for metric, count, mean in per_query:  # every judged query has a row of every stored metric, its mean the aggregate
        assert count == len(judged) and mean == pytest.approx(stored[metric], abs=1e-9)
    assert len(per_query) == 8


def _spec_with_expected(tmp_path: Path, metrics: dict[str, float]) -> Path:
    ds = resolve_dataset("cranfield")
    lines = [
        "name: my-bm25-graded",
        "family: lexical",
        "kind: lucene-bm25",
        "params: {k1: 0.9, b: 0.4, hits: 1000}",
        "expected:",
        "  - dataset: cranfield",
        f"    hash: {ds.content_hash}",
        "    metrics:",
        *(f"      {name}: {value!r}" for name, value in metrics.items()),
    ]
    spec = tmp_path / "graded.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return spec


def test_a_spec_expecting_ir_measures_only_metrics_validates_and_reproduces(
    cranfield_files: tuple[Path, Path], tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_file, qrels_file = cranfield_files
    measures = [ir_measures.parse_measure(m) for m in ("Judged@10", "P(rel=2)@10", "Success@5", "nDCG@20")]
    values = ir_measures.calc_aggregate(
        measures, list(ir_measures.read_trec_qrels(str(qrels_file))), list(ir_measures.read_trec_run(str(run_file)))
    )
    spec = _spec_with_expected(tmp_path, {"judged@10": values[measures[0]], **{str(m): values[m] for m in measures[1:]}})
    loaded = load_spec(spec)
    assert list(loaded.expected[0].metrics) == ["Judged@10", "P(rel=2)@10", "Success@5", "nDCG@20"]  # canonical names
    r = bench(capsys, "reproduce", spec, "-d", "cranfield", "--db", db_path, "--json")
    assert r.code == 0, r.err
    (result,) = r.json()
    assert result["verdict"] == "OK" and [c["metric"] for c in result["checks"]] == ["Judged@10", "P(rel=2)@10", "Success@5", "nDCG@20"]
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        stored = {m for (m,) in con.execute("SELECT metric FROM metrics").fetchall()}
    finally:
        con.close()
    assert {"Judged@10", "P(rel=2)@10", "Success@5", "nDCG@20", "nDCG@10"} <= stored  # the checked extras are stored with the run


def test_an_unknown_metric_in_a_spec_is_exit_6_with_its_line(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec_with_expected(tmp_path, {"nDCG@10": 0.5, "nDGC@20": 0.5})
    for command in (["reproduce", spec, "-d", "cranfield", "--db", db_path], ["run", spec, "-d", "cranfield", "--db", db_path]):
        r = bench(capsys, *command)
        assert r.code == 6, r.err
        assert r.err.strip() == f"error: {spec}:10: expected.0.metrics: unknown metric 'nDGC@20'; did you mean nDCG@20?"
    assert not db_path.exists()
    checked = bench(capsys, "spec", "validate", spec)
    assert checked.code == 6 and f"{spec}:10: expected.0.metrics: unknown metric 'nDGC@20'; did you mean nDCG@20?" in checked.err


def test_run_computes_records_and_results_shows_extra_metrics(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "run", FLAT, "-d", "adi", "-d", "time", "--db", db_path, "--json", "--metric", "Judged@10", "--metric", "RR(rel=1)@5")
    assert r.code == 0, r.err
    lines = [json.loads(line) for line in r.out.splitlines()]
    assert [p["dataset"]["name"] for p in lines] == ["adi", "time"]
    for payload in lines:  # computed on top of the default set, canonical names
        assert list(payload["metrics"]) == ["nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10", "Judged@10", "RR@5"]
        assert payload["metrics"]["RR@5"] <= payload["metrics"]["RR@10"]
    shown = bench(capsys, "results", "--db", db_path, "--metric", "judged@10", "--metric", "nDCG@10", "--json").json()
    by_dataset = {row["dataset"]: row for row in shown}
    for payload in lines:
        row = by_dataset[payload["dataset"]["name"]]
        assert row["Judged@10"] == pytest.approx(payload["metrics"]["Judged@10"]) and row["nDCG@10"] == pytest.approx(
            payload["metrics"]["nDCG@10"]
        )
    table = bench(capsys, "results", "--db", db_path, "--metric", "Judged@10")
    assert table.code == 0 and "Judged@10" in table.out and "R@1000" not in table.out
    for command in (["run", FLAT, "-d", "adi", "--no-record"], ["results", "--db", db_path]):
        unknown = bench(capsys, *command, "--metric", "nDGC@10")
        assert unknown.code == 6 and unknown.err.strip() == "error: unknown metric 'nDGC@10'; did you mean nDCG@10?"


def test_trec_eval_names_are_accepted_shown_canonically_and_noted(
    cranfield_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """ndcg_cut.20, ndcg_cut_5, recip_rank and map as trec_eval users write them: the values are pytrec_eval's own, under
    ir_measures' names, and each other name says on stderr what it was read as (map is AP, not silently)."""
    run_file, qrels_file = cranfield_files
    given = ["ndcg_cut.20", "ndcg_cut_5", "recip_rank", "map"]
    r = bench(capsys, "eval", run_file, "--qrels", qrels_file, *[a for m in given for a in ("--metric", m)], "--json")
    assert r.code == 0, r.err
    ours = r.json()["metrics"]
    assert list(ours)[6:] == ["nDCG@20", "nDCG@5", "RR", "AP"]
    notes = [line for line in r.err.splitlines() if line.startswith("note: metric")]
    assert notes == [
        "note: metric 'ndcg_cut.20' is trec_eval's name for nDCG@20; shown as nDCG@20",
        "note: metric 'ndcg_cut_5' is trec_eval's name for nDCG@5; shown as nDCG@5",
        "note: metric 'recip_rank' is trec_eval's name for RR; shown as RR",
        "note: metric 'map' is trec_eval's name for AP; shown as AP",
    ]
    qd = {q: dict(d) for q, d in resolve_dataset("cranfield").qrels().items()}
    rd: dict[str, dict[str, float]] = {}
    for line in run_file.read_text().splitlines():
        q, _, d, _, s, _ = line.split()
        rd.setdefault(q, {})[d] = float(s)
    per_query = pytrec_eval.RelevanceEvaluator(qd, {"ndcg_cut.5,20", "recip_rank", "map"}).evaluate(rd)
    for ours_name, trec_key in (("nDCG@20", "ndcg_cut_20"), ("nDCG@5", "ndcg_cut_5"), ("RR", "recip_rank"), ("AP", "map")):
        assert ours[ours_name] == pytest.approx(sum(v[trec_key] for v in per_query.values()) / len(qd), abs=1e-12), ours_name


def test_an_unknown_trec_eval_name_is_one_line_with_did_you_mean(
    cranfield_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    run_file, qrels_file = cranfield_files
    r = bench(capsys, "eval", run_file, "--qrels", qrels_file, "--metric", "ndcg_cutt.10")
    assert r.code == 6 and r.err.strip() == "error: unknown metric 'ndcg_cutt.10'; did you mean ndcg_cut.10?" and r.out == ""
