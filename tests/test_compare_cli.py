"""`bench compare A B -d D`: the leaderboard's paired statistics over the stored per-query values of two real BM25 runs;
runs on different dataset contents are refused; unknown models suggest close names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.datasets import resolve_dataset
from bench.errors import DatasetError
from bench.evaluation import stats
from bench.execute import execute_run
from bench.specs import load_spec
from bench.store.db import open_read_only
from bench.store.lookup import NotRecorded
from bench.store.runs import query_metrics
from tests.clihelp import bench
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """bm25-flat and bm25-multifield on adi (real Lucene runs, real database)."""
    path = tmp_path_factory.mktemp("compare") / "results.duckdb"
    adi = resolve_dataset("adi")
    runs = {}
    for name in ("bm25-flat", "bm25-multifield"):
        spec_path = ROOT / "models" / f"{name}.yaml"
        summary, _, _ = execute_run(load_spec(spec_path), adi, path, spec_path=spec_path)
        runs[name] = summary.run_id
    return {"path": path, "runs": runs, "adi": adi}


@pytest.mark.parametrize(("metric", "test"), [("nDCG@10", "randomization"), ("RR@10", "t-test")])
def test_statistics_equal_bench_evaluation_stats_on_the_stored_per_query_values(
    capsys: pytest.CaptureFixture[str], db: dict, metric: str, test: str
) -> None:
    r = bench(
        capsys, "compare", "bm25-flat", "bm25-multifield", "-d", "adi", "--metric", metric, "--test", test, "--json", "--db", db["path"]
    )
    assert r.code == 0, r.err
    got = r.json()
    with open_read_only(db["path"]) as con:
        a, b = (query_metrics(con, db["runs"][m], metric) for m in ("bm25-flat", "bm25-multifield"))
    judged = len(db["adi"].qrels())
    assert len(a) == len(b) == judged
    want = stats.compare(a, b, test=test)
    assert got["p_value"] == want.p_value
    assert got["ci"] == [want.ci_low, want.ci_high] and got["difference"] == want.difference
    assert (got["wins"], got["ties"], got["losses"]) == (want.wins, want.ties, want.losses)
    assert got["queries"] == judged and got["a"]["run_id"] == db["runs"]["bm25-flat"]
    assert got["a"]["answered"] == got["a"]["judged"] == judged and got["b"]["answered"] == judged
    assert got["dataset"]["hash"] == db["adi"].content_hash


def test_text_output_shows_both_runs_coverage_and_the_statistics(capsys: pytest.CaptureFixture[str], db: dict) -> None:
    r = bench(capsys, "compare", "bm25-multifield", "bm25-flat", "-d", db["adi"].content_hash[:8], "--db", db["path"])
    assert r.code == 0, r.err
    judged = len(db["adi"].qrels())
    assert r.out.count(f"{judged}/{judged} (100.0%)") == 2
    for label in ("difference (A - B)", "95% bootstrap CI", "p (randomization)", "A wins / ties / B wins"):
        assert label in r.out


def test_runs_on_different_dataset_contents_are_refused(capsys: pytest.CaptureFixture[str], db: dict, tmp_path: Path) -> None:
    copy = tmp_path / "adi"  # same name, one qrels line fewer: another dataset identity
    copy.mkdir()
    for name in ("corpus.jsonl", "queries.jsonl"):
        shutil.copyfile(db["adi"].path / name, copy / name)
    (copy / "qrels").mkdir()
    lines = (db["adi"].path / "qrels" / "test.tsv").read_text().splitlines()
    (copy / "qrels" / "test.tsv").write_text("\n".join(lines[:-1]) + "\n")
    local = tmp_path / "bm25-copy.yaml"
    local.write_text((ROOT / "models" / "bm25-flat.yaml").read_text().replace("name: bm25-flat", "name: bm25-copy", 1))
    path = tmp_path / "results.duckdb"
    shutil.copyfile(db["path"], path)
    execute_run(load_spec(local), resolve_dataset(str(copy)), path, spec_path=local)

    r = bench(capsys, "compare", "bm25-flat", "bm25-copy", "-d", "adi", "--db", path)
    assert r.code == DatasetError.exit_code and r.out == ""
    assert "different dataset contents never share a cell" in r.err and db["adi"].content_hash[:12] in r.err
    by_path = bench(capsys, "compare", "bm25-flat", "bm25-copy", "-d", str(copy), "--db", path)
    assert by_path.code == NotRecorded.exit_code and "bm25-flat has no public run" in by_path.err


def test_unknown_model_suggests_close_names_once(capsys: pytest.CaptureFixture[str], db: dict) -> None:
    r = bench(capsys, "compare", "BM25-flt", "bm25-multifield", "-d", "adi", "--db", db["path"])
    assert r.code == NotRecorded.exit_code
    hint = r.err.split("Did you mean: ", 1)[1]
    assert hint.startswith("bm25-flat") and hint.count("bm25-flat,") + hint.count("bm25-flat?") == 1, r.err
    same = bench(capsys, "compare", "bm25-flat", "bm25-flat", "-d", "adi", "--db", db["path"])
    assert same.code == 2 and "same model version" in same.err
