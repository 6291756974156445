"""`bench results`: the pivot (mean over common datasets only, what was left out, coverage marks), datasets named
by name, path or content-hash prefix, and suggestions that name each dataset once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.cli import main
from bench.datasets import resolve_dataset
from bench.errors import DatasetError
from bench.evaluation.trec import write_trec_run
from bench.execute import execute_run
from bench.specs import load_spec
from bench.store.db import open_read_only
from bench.store.runs import run_metrics
from bench.suggest import close_matches
from bench.types import Run
from tests.clihelp import bench
from tests.conftest import ROOT

PARTIAL_QUERIES = 10


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """bm25-flat on adi and med, bm25-multifield on adi only (med is its missing cell), and a local run file that
    answers 10 of adi's judged queries. Real Lucene runs, real database."""
    tmp = tmp_path_factory.mktemp("results")
    path = tmp / "results.duckdb"
    flat, multi = ROOT / "models" / "bm25-flat.yaml", ROOT / "models" / "bm25-multifield.yaml"
    adi, med = resolve_dataset("adi"), resolve_dataset("med")
    runs = {}
    for spec_path, ds in ((flat, adi), (flat, med), (multi, adi)):
        summary, out, _ = execute_run(load_spec(spec_path), ds, path, spec_path=spec_path)
        runs[(summary.model, ds.name)] = (summary.run_id, out.run)
    full = runs[("bm25-flat", "adi")][1]
    kept = sorted(full.results)[:PARTIAL_QUERIES]
    run_file = tmp / "partial.run"
    write_trec_run(Run({q: full.results[q] for q in kept}, tag="partial"), run_file, tag="partial")
    code = main(["eval", str(run_file), "-d", "adi", "--record", "--model", "partial-bm25", "--family", "lexical", "--db", str(path)])
    assert code == 0
    return {"path": path, "runs": runs, "adi": adi, "med": med}


def test_pivot_means_over_common_datasets_only_and_lists_what_was_left_out(capsys: pytest.CaptureFixture[str], db: dict) -> None:
    r = bench(capsys, "results", "--metric", "RR@10", "--pivot", "--json", "--db", db["path"])
    assert r.code == 0, r.err
    view = r.json()
    assert view["metric"] == "RR@10" and view["datasets"] == ["adi", "med"]
    assert view["averaged_over"] == ["adi"] and view["left_out"] == {"med": ["bm25-multifield", "partial-bm25"]}
    with open_read_only(db["path"]) as con:
        stored = {key: run_metrics(con, run_id)["RR@10"] for key, (run_id, _) in db["runs"].items()}
    rows = {m["model"]: m for m in view["models"]}
    assert rows["bm25-flat"]["mean"] == pytest.approx(stored[("bm25-flat", "adi")])  # med is not in the mean, though flat has it
    assert rows["bm25-flat"]["values"]["med"] == pytest.approx(stored[("bm25-flat", "med")])
    assert rows["bm25-multifield"]["mean"] == pytest.approx(stored[("bm25-multifield", "adi")])
    assert rows["bm25-multifield"]["values"]["med"] is None
    ranks = sorted(rows, key=lambda m: rows[m]["rank"])
    assert ranks == sorted(rows, key=lambda m: -rows[m]["mean"])

    text = bench(capsys, "results", "--metric", "RR@10", "--pivot", "--db", db["path"])
    assert text.code == 0, text.err
    assert "Mean and rank over the 1 of 2 dataset(s) every shown model has: adi" in text.out
    assert "left out of the mean: med (missing for bm25-multifield, partial-bm25)" in text.out


def test_pivot_marks_partial_cells_and_explains_the_mark(capsys: pytest.CaptureFixture[str], db: dict) -> None:
    r = bench(capsys, "results", "--pivot", "--json", "--db", db["path"], "-d", "adi")
    view = r.json()
    rows = {m["model"]: m for m in view["models"]}
    judged = len(db["adi"].qrels())
    assert rows["partial-bm25"]["partial"] == {"adi": [PARTIAL_QUERIES, judged]}
    assert rows["partial-bm25"]["coverage"] == pytest.approx(PARTIAL_QUERIES / judged)
    assert rows["bm25-flat"]["partial"] == {} and rows["bm25-flat"]["coverage"] == 1.0
    assert view["datasets"] == ["adi"]  # -d narrows the columns

    text = bench(capsys, "results", "--pivot", "--db", db["path"], "-d", "adi")
    line = next(row for row in text.out.splitlines() if "partial-bm25" in row and "│" in row)
    assert f"{rows['partial-bm25']['values']['adi']:.4f}*" in line
    assert (
        f"* the run answered only part of the judged queries (answered/judged): partial-bm25 on adi {PARTIAL_QUERIES}/{judged}" in text.out
    )


def test_dataset_by_hash_prefix_path_or_name(capsys: pytest.CaptureFixture[str], db: dict) -> None:
    med_hash = db["med"].content_hash
    by_prefix = bench(capsys, "results", "-d", med_hash[:6], "--json", "--db", db["path"])
    assert by_prefix.code == 0, by_prefix.err
    assert {row["dataset"] for row in by_prefix.json()} == {"med"} and len(by_prefix.json()) == 1
    by_path = bench(capsys, "results", "-d", str(db["adi"].path), "--json", "--db", db["path"])
    assert by_path.code == 0, by_path.err
    assert {row["dataset"] for row in by_path.json()} == {"adi"}
    by_name = bench(capsys, "results", "-d", "ADI", "-d", "med", "--json", "--db", db["path"])
    assert {row["dataset"] for row in by_name.json()} == {"adi", "med"}
    too_short = bench(capsys, "results", "-d", med_hash[:5], "--db", db["path"])
    assert too_short.code == DatasetError.exit_code and ">= 6 hex" in too_short.err


def test_unknown_dataset_suggests_each_name_once(capsys: pytest.CaptureFixture[str], db: dict, tmp_path: Path) -> None:
    # a second content under the name adi (one qrels line fewer): the name is recorded twice, offered once
    copy = tmp_path / "adi"
    copy.mkdir()
    for name in ("corpus.jsonl", "queries.jsonl"):
        (copy / name).write_bytes((db["adi"].path / name).read_bytes())
    (copy / "qrels").mkdir()
    lines = (db["adi"].path / "qrels" / "test.tsv").read_text().splitlines()
    (copy / "qrels" / "test.tsv").write_text("\n".join(lines[:-1]) + "\n")
    spec = ROOT / "models" / "bm25-flat.yaml"
    local = tmp_path / "bm25-copy.yaml"
    local.write_text(spec.read_text().replace("name: bm25-flat", "name: bm25-copy", 1))
    path = tmp_path / "results.duckdb"
    shutil.copyfile(db["path"], path)  # the module's database stays as the other tests expect it
    execute_run(load_spec(local), resolve_dataset(str(copy)), path, spec_path=local)

    r = bench(capsys, "results", "-d", "AD", "--db", path)
    assert r.code == DatasetError.exit_code
    assert r.err.strip().endswith("Did you mean: adi?"), r.err
    both = bench(capsys, "results", "-d", "adi", "--json", "--db", path, "--model", "bm25-flat", "--model", "bm25-copy")
    assert len({row["dataset_hash"] for row in both.json()}) == 2  # a name stands for every content recorded under it


def test_suggestions_are_case_insensitive_and_never_repeat() -> None:
    assert close_matches("TME", ["time", "time", "Time", "med"]) == ["time", "med"]
    with pytest.raises(DatasetError) as e:
        resolve_dataset("TIMe")
    assert str(e.value).endswith("Did you mean: time?")


def test_pivot_takes_one_metric(capsys: pytest.CaptureFixture[str], db: dict) -> None:
    r = bench(capsys, "results", "--pivot", "--metric", "RR@10", "--metric", "P@10", "--db", db["path"])
    assert r.code == 2 and "--pivot" in r.err
    shown = bench(capsys, "results", "--metric", "P@10", "--metric", "AP@1000", "--json", "--db", db["path"])
    assert shown.code == 0 and {"P@10", "AP@1000"} <= set(shown.json()[0]) and "nDCG@10" not in shown.json()[0]


def test_a_measure_the_runs_lack_is_computed_from_stored_rankings_cached_and_depth_limited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bench results --metric nDCG@20` showed "—" for runs whose top-1000 rankings are stored: it is computed from them
    and the dataset's qrels (found on the data path by content hash), cached in the DB, and a deeper cutoff is refused."""
    from bench.evaluation import evaluate

    path = tmp_path / "derived.duckdb"
    r = bench(capsys, "run", ROOT / "models" / "bm25-flat.yaml", "-d", "adi", "-d", "cranfield", "--db", path)
    assert r.code == 0, r.err
    first = bench(capsys, "results", "--db", path, "--metric", "nDCG@20", "--metric", "ndcg_cut.5", "--json")
    assert first.code == 0, first.err
    assert "note: nDCG@20 computed for 2 run(s) from their stored rankings" in first.err and "top 1000 per query" in first.err
    spec = load_spec(ROOT / "models" / "bm25-flat.yaml")
    for row in first.json():
        ds = resolve_dataset(row["dataset"])
        _, out, _ = execute_run(spec, ds, db=None)
        direct = evaluate(out.run, ds.qrels(), ["nDCG@20", "nDCG@5"], drop_identical_ids=ds.drop_identical_ids).aggregate
        assert row["nDCG@20"] == pytest.approx(direct["nDCG@20"], abs=1e-9) and row["nDCG@5"] == pytest.approx(direct["nDCG@5"], abs=1e-9)
    with open_read_only(path) as con:
        cached = con.execute("SELECT count(DISTINCT run_id) FROM metrics WHERE metric = 'nDCG@20'").fetchone()
        per_query = con.execute("SELECT count(*) FROM query_metrics WHERE metric = 'nDCG@20'").fetchone()
        deepest = con.execute("SELECT max(rank) FROM rankings").fetchone()
    judged = len(resolve_dataset("adi").qrels()) + len(resolve_dataset("cranfield").qrels())
    assert cached == (2,) and per_query == (judged,) and deepest == (1000,)
    again = bench(capsys, "results", "--db", path, "--metric", "nDCG@20", "--json")
    assert again.code == 0 and "computed" not in again.err  # read from the cache
    assert all(row["nDCG@20"] is not None for row in again.json())
    deep = bench(capsys, "results", "--db", path, "--metric", "nDCG@2000")
    assert deep.code == 6 and deep.out == "" and len(deep.err.strip().splitlines()) == 1
    assert "needs rankings to depth 2000" in deep.err and "top 1000 per query" in deep.err
