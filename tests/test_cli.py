"""The `bench` CLI end to end on real collections and a real DuckDB file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.clihelp import bench
from tests.conftest import ROOT

FLAT = ROOT / "models" / "bm25-flat.yaml"
MULTI = ROOT / "models" / "bm25-multifield.yaml"


def test_run_json_is_one_object_on_stdout(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "run", FLAT, "--dataset", "adi", "--db", db_path, "--json")
    assert r.code == 0, r.err
    payload = r.json()
    assert set(payload) >= {"run_id", "model", "dataset", "metrics", "timings"}
    assert payload["dataset"]["name"] == "adi" and len(payload["dataset"]["hash"]) == 64
    assert set(payload["metrics"]) == {"nDCG@10", "R@100", "R@1000", "AP@1000", "RR@10", "P@10"}
    assert 0 < payload["metrics"]["nDCG@10"] < 1
    con = duckdb.connect(str(db_path), read_only=True)
    assert con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [payload["run_id"]]).fetchone()[0] == 1
    con.close()


def test_json_stdout_stays_clean_in_a_real_process(db_path: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli", "run", str(MULTI), "--dataset", "adi", "--db", str(db_path), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 1  # Java's own output went to stderr
    assert json.loads(proc.stdout)["model"] == "bm25-multifield"


def test_results_table_and_json(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench(capsys, "run", FLAT, "-d", "time", "--db", db_path).code == 0
    assert bench(capsys, "run", MULTI, "-d", "time", "--db", db_path).code == 0
    r = bench(capsys, "results", "--dataset", "time", "--db", db_path, "--json")
    rows = r.json()
    assert {row["model"] for row in rows} == {"bm25-flat", "bm25-multifield"}
    assert all(0 < row["nDCG@10"] < 1 and row["wall_s"] > 0 for row in rows)
    table = bench(capsys, "results", "--dataset", "time", "--db", db_path)
    assert "bm25-multifield" in table.out and "nDCG@10" in table.out


def test_eval_a_run_file_and_record_it(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_file = tmp_path / "adi.trec"
    produced = bench(capsys, "run", FLAT, "-d", "adi", "--no-record", "-o", run_file, "--json").json()
    r = bench(capsys, "eval", run_file, "-d", "adi", "--json", "--record", "--model", "my-bm25", "--family", "lexical", "--db", db_path)
    assert r.code == 0, r.err
    evaluated = r.json()
    assert evaluated["metrics"] == pytest.approx(produced["metrics"], abs=1e-9)
    rows = bench(capsys, "results", "--db", db_path, "--json").json()
    assert [(row["model"], row["provenance"]) for row in rows] == [("my-bm25", "local")]  # a run file proves nothing about how it was made


def test_user_errors_are_one_line_without_traceback(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "run", FLAT, "--dataset", "cranfeld", "--db", db_path)
    assert r.code == 3 and r.err.startswith("error: unknown dataset 'cranfeld'") and "Traceback" not in r.err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfamily: lexical\nkind: lucene-bm25\nparams: {k2: 1}\n")
    r = bench(capsys, "run", bad, "--dataset", "adi", "--db", db_path)
    assert r.code == 2 and "params.k2" in r.err
    assert not db_path.exists()  # nothing was recorded
    r = bench(capsys, "results", "--db", tmp_path / "missing.duckdb")
    assert r.code == 5 and "no results database" in r.err


def test_datasets_list_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    rows = {row["name"]: row for row in bench(capsys, "datasets", "list", "--json").json()}
    assert rows["npl"]["documents"] == 11429 and rows["npl"]["found"] and len(rows["npl"]["hash"]) == 64
    assert rows["scifact"]["fetchable"] and rows["scifact"]["found"] is None
    r = bench(capsys, "datasets", "validate", "cisi")
    assert r.code == 0 and "76 judged" in r.out


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "--help")
    assert r.code == 0
    for cmd in ("run", "eval", "results", "datasets", "demo"):
        assert cmd in r.out
