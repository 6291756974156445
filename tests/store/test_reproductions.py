"""Reproduction verdicts as the Model page and `bench results` read them: real `bench reproduce` checks in a real DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bench.datasets import resolve_dataset
from bench.specs import load_spec
from bench.store.db import open_read_only
from bench.store.reproductions import latest_verdicts
from tests.clihelp import bench
from tests.conftest import ROOT

FLAT = ROOT / "models" / "bm25-flat.yaml"


def _local_copy(folder: Path, name: str, **changes: object) -> Path:
    """models/bm25-flat.yaml under another name (a local spec), its params or tolerance changed."""
    data = yaml.safe_load(FLAT.read_text())
    data["name"] = name
    for key, value in changes.items():
        if key in data["params"]:
            data["params"][key] = value
        else:
            data[key] = value
    path = folder / f"{name}-{len(list(folder.glob('*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_one_row_per_dataset_the_latest_check_with_the_worst_metric(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench(capsys, "reproduce", FLAT, "-d", "adi", "-d", "time", "--db", db_path).code == 0
    with open_read_only(db_path) as con:
        v = latest_verdicts(con, "bm25-flat")
        assert latest_verdicts(con, "bm25-flat", load_spec(FLAT).spec_hash).equals(v)
        assert latest_verdicts(con, "bm25-flat", "0" * 64).empty and latest_verdicts(con, "nobody").empty
    assert list(v["dataset"]) == ["adi", "time"] and set(v["verdict"]) == {"OK"}
    assert list(v["metrics"]) == [6, 6] and all(d == dict.fromkeys(d, 0.0) and len(d) == 6 for d in v["diffs"])
    assert v["code_version"].str.startswith("0.").all() and v["run_id"].notna().all() and list(v["failed"]) == [[], []]

    # k1 changed: within a declared tolerance on some metrics (OKish), then the same version checked strictly (FAIL)
    loose = {"default": 0.0, "nDCG@10": 0.05, "AP@1000": 0.05, "RR@10": 0.05, "P@10": 0.05}
    tuned = _local_copy(tmp_path, "tuned-flat", k1=1.2, tolerance=loose)
    strict = _local_copy(tmp_path, "tuned-flat", k1=1.2)
    for spec in (tuned, strict):  # the expected blocks are bm25-flat's own: k1=1.2 drifts from them
        bench(capsys, "reproduce", spec, "-d", "adi", "--db", db_path)
    assert load_spec(tuned).spec_hash == load_spec(strict).spec_hash  # tolerances are not part of a version
    with open_read_only(db_path) as con:
        checks = con.execute("SELECT DISTINCT reproduction_id, verdict FROM reproductions WHERE model_name = 'tuned-flat'").fetchall()
        v = latest_verdicts(con, "tuned-flat").set_index("dataset")
    assert {verdict for _, verdict in checks} >= {"OKish", "FAIL"}  # both checks are recorded ...
    assert list(v.index) == ["adi"] and v.at["adi", "verdict"] == "FAIL"  # ... the latest one is shown
    assert v.at["adi", "run_id"] is None  # a failed check vouches for no run
    assert "nDCG@10" in v.at["adi", "failed"] and v.at["adi", "diffs"]["nDCG@10"] != 0
    assert v.at["adi", "max_abs_diff"] == max(abs(d) for d in v.at["adi", "diffs"].values())


def test_okish_is_the_worst_of_its_metrics(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loose = {"default": 0.0, "nDCG@10": 0.05, "AP@1000": 0.05, "RR@10": 0.05, "P@10": 0.05}
    assert bench(capsys, "reproduce", _local_copy(tmp_path, "tuned-flat", k1=1.2, tolerance=loose), "-d", "adi", "--db", db_path).code == 0
    with open_read_only(db_path) as con:
        (row,) = latest_verdicts(con, "tuned-flat").to_dict("records")
        per_metric = dict(con.execute("SELECT metric, verdict FROM reproductions").fetchall())
    assert row["verdict"] == "OKish" and set(per_metric.values()) == {"OK", "OKish"} and row["failed"] == []


def test_a_check_failed_for_a_swapped_submission_file_reads_as_fail(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its metrics match (the genuine file is back), but it vouches for nothing: the Model page must not show OK."""
    folder = tmp_path / "acme-swap"
    shutil.copytree(ROOT / "submissions" / "acme-bm25plus", folder)
    genuine = (folder / "runs" / "adi.trec").read_bytes()
    qrels = resolve_dataset("adi").qrels()
    (folder / "runs" / "adi.trec").write_text(
        "".join(f"{q} Q0 {d} {i} {100 - i} acme\n" for q, docs in qrels.items() for i, d in enumerate(docs, 1))
    )
    assert bench(capsys, "submit", "ingest", folder, "--db", db_path).code == 0
    (folder / "runs" / "adi.trec").write_bytes(genuine)  # swapped back after ingestion
    assert bench(capsys, "reproduce", folder, "--db", db_path).code == 8
    with open_read_only(db_path) as con:
        v = latest_verdicts(con, "acme-bm25plus").set_index("dataset")
        adi_diffs = dict(con.execute("SELECT metric, diff FROM reproductions WHERE dataset_name = 'adi'").fetchall())
    assert v.at["adi", "verdict"] == "FAIL" and v.at["adi", "run_id"] is None
    assert set(adi_diffs.values()) == {0.0}  # the metrics themselves matched: the FAIL is the swap
    assert v.at["time", "verdict"] == "OK"  # the untouched file's check stands
