"""`bench export`: TREC, per-query CSV/parquet and MTEB files from a real recorded run; the MTEB file is read by mteb itself."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bench.datasets.registry import resolve_dataset
from bench.evaluation.evaluate import evaluate
from bench.evaluation.trec import read_trec_run
from bench.interop.mteb_names import from_mteb_key, task_for_dataset, to_mteb_key
from tests.clihelp import bench


def _stored(db: Path) -> tuple[str, str, dict[str, float], int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id, spec_hash, judged = con.execute("SELECT run_id, spec_hash, judged_queries FROM runs").fetchone()
        metrics = dict(con.execute("SELECT metric, value FROM metrics WHERE run_id = ?", [run_id]).fetchall())
    finally:
        con.close()
    return run_id, spec_hash, metrics, judged


def test_mteb_export_is_read_by_mteb_with_our_ndcg(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mteb import TaskResult

    run_id, spec_hash, metrics, _ = _stored(recorded)
    r = bench(capsys, "export", "--model", "toy-run", "-d", "adi", "--format", "mteb", "-o", tmp_path / "out", "--db", recorded, "--json")
    assert r.code == 0, r.err
    path = Path(r.json()["files"][0]["file"])
    assert path == tmp_path / "out" / "brewbench__toy-run" / spec_hash / "BrewbenchAdi.json"
    result = TaskResult.from_disk(path)  # mteb's own reader
    assert result.task_name == "BrewbenchAdi"
    assert result.get_score() == metrics["nDCG@10"]
    scores = result.scores["test"][0]
    assert scores["ndcg_at_10"] == metrics["nDCG@10"]
    assert scores["recall_at_100"] == metrics["R@100"]
    assert scores["mrr_at_10"] == metrics["RR@10"]
    assert result.dataset_revision == resolve_dataset("adi").content_hash
    # the provenance rides along where mteb ignores it
    record = json.loads(path.read_text())["brewbench"]
    assert (record["spec_hash"], record["run_id"], record["provenance"]) == (spec_hash, run_id, "local")
    assert json.loads((path.parent / "model_meta.json").read_text())["revision"] == spec_hash


def test_trec_export_evaluates_to_the_stored_numbers(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, spec_hash, metrics, _ = _stored(recorded)
    assert bench(capsys, "export", "-m", "toy-run", "-f", "trec", "-o", tmp_path, "--db", recorded).code == 0
    ds = resolve_dataset("adi")
    again = evaluate(read_trec_run(tmp_path / "toy-run" / "adi.trec"), ds.qrels())
    assert again.aggregate["nDCG@10"] == pytest.approx(metrics["nDCG@10"], abs=1e-12)
    assert again.aggregate["R@100"] == pytest.approx(metrics["R@100"], abs=1e-12)
    manifest = json.loads((tmp_path / "toy-run" / "brewbench-export.json").read_text())
    assert manifest["spec_hash"] == spec_hash and manifest["files"]["adi.trec"]["format"] == "trec"


def test_per_query_csv_and_parquet_hold_every_judged_query(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, metrics, judged = _stored(recorded)
    for fmt in ("csv", "parquet"):
        assert bench(capsys, "export", "-m", "toy-run", "-f", fmt, "-o", tmp_path, "--db", recorded).code == 0
    csv = pd.read_csv(tmp_path / "toy-run" / "adi.per_query.csv", dtype={"qid": str})
    parquet = duckdb.connect().execute(f"SELECT * FROM '{tmp_path / 'toy-run' / 'adi.per_query.parquet'}'").df()
    assert list(csv.columns) == ["qid", "metric", "value"] == list(parquet.columns)
    assert len(csv) == len(parquet) == judged * len(metrics)
    ndcg = csv[csv["metric"] == "nDCG@10"]
    assert ndcg["qid"].nunique() == judged
    assert ndcg["value"].mean() == pytest.approx(metrics["nDCG@10"], abs=1e-12)
    assert (parquet.sort_values(["qid", "metric"])["value"].to_numpy() == csv.sort_values(["qid", "metric"])["value"].to_numpy()).all()
    manifest = json.loads((tmp_path / "toy-run" / "brewbench-export.json").read_text())
    assert set(manifest["files"]) == {"adi.per_query.csv", "adi.per_query.parquet"}


def test_export_refuses_unknown_models_and_datasets(recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = bench(capsys, "export", "-m", "toy-runn", "-o", tmp_path, "--db", recorded)
    assert r.code == 5 and "did you mean toy-run" in r.err and len(r.err.strip().splitlines()) == 1
    r = bench(capsys, "export", "-m", "toy-run", "-d", "npl", "-o", tmp_path, "--db", recorded)
    assert r.code == 5 and "has no run on this dataset (it has: adi)" in r.err
    r = bench(capsys, "export", "-m", "toy-run", "-f", "xml", "-o", tmp_path, "--db", recorded)
    assert r.code == 2 and "trec, csv, parquet, mteb" in r.err
    assert not any(tmp_path.rglob("*.trec"))


def test_metric_and_task_names() -> None:
    assert to_mteb_key("nDCG@10") == "ndcg_at_10" and to_mteb_key("AP@1000") == "map_at_1000" and to_mteb_key("AP") is None
    for key in ("ndcg_at_10", "recall_at_100", "precision_at_5", "map_at_1000", "mrr_at_10"):
        assert to_mteb_key(from_mteb_key(key) or "") == key
    assert from_mteb_key("nauc_ndcg_at_10_max") is None and from_mteb_key("main_score") is None
    assert task_for_dataset("nfcorpus") == "NFCorpus" and task_for_dataset("scifact") == "SciFact"
    assert task_for_dataset("cranfield") == "BrewbenchCranfield"
