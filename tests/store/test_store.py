"""The DuckDB store: migrations, one-transaction writes, nothing left behind by failures or kills."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from bench.datasets import resolve_dataset
from bench.errors import StoreError
from bench.evaluation import evaluate
from bench.execute import dataset_row
from bench.identity import LOCAL, Writer, synthetic_identity
from bench.store.db import connect, migrate, open_read_only, open_writer, schema_version
from bench.store.migrations import MIGRATIONS
from bench.store.models import ModelRow
from bench.store.runs import RunRecord, count_rows, ranking, record_run, run_metrics
from bench.types import Run, Timings


def _record(run_id: str = "r1") -> RunRecord:
    ds = resolve_dataset("adi")
    run = Run.from_scores({q: {d: float(r) for d, r in docs.items()} for q, docs in ds.qrels().items()})
    now = datetime(2026, 1, 1)
    return RunRecord(
        run_id=run_id,
        model=ModelRow("oracle", "lexical", None),
        dataset=dataset_row(ds, ds.validate()),
        writer=LOCAL,
        spec=None,
        spec_hash=synthetic_identity("oracle", "lexical", "run-file"),
        weights_hash=None,
        environment={"python": "3.11"},
        environment_hash="x",
        code_version="test",
        started_at=now,
        finished_at=now,
        timings=Timings(),
        cost={},
        evaluation=evaluate(run, ds.qrels()),
        run=run,
    )


def test_migrations_are_numbered_recorded_and_idempotent(db_path: Path) -> None:
    con = connect(db_path)
    assert schema_version(con) == len(MIGRATIONS)
    assert [r[0] for r in con.execute("SELECT number FROM _migrations ORDER BY number").fetchall()] == list(range(1, len(MIGRATIONS) + 1))
    assert migrate(con) == []
    con.close()


def test_record_run_writes_every_table(db_path: Path) -> None:
    rec = _record()
    with open_writer(db_path) as con:
        record_run(con, rec)
    with open_read_only(db_path) as con:
        counts = count_rows(con)
        assert counts["runs"] == 1 and counts["metrics"] == 6
        assert counts["query_metrics"] == 6 * 35
        assert counts["rankings"] == sum(len(v) for v in rec.run.results.values())
        assert run_metrics(con, "r1")["nDCG@10"] == pytest.approx(1.0)
        assert ranking(con, "r1", "1", depth=3) == rec.run.results["1"][:3]


def test_a_failing_write_leaves_nothing(db_path: Path) -> None:
    with open_writer(db_path) as con:
        record_run(con, _record("r1"))
        before = count_rows(con)
        with pytest.raises(StoreError, match="rolled back"):
            record_run(con, _record("r1"))  # same run id: the runs insert fails after datasets/models upserts
        assert count_rows(con) == before


def test_a_killed_writer_leaves_nothing(db_path: Path) -> None:
    with open_writer(db_path):
        pass
    script = textwrap.dedent(
        f"""
        import os, duckdb
        con = duckdb.connect({str(db_path)!r})
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO runs (run_id, model_name, dataset_hash, provenance, status, spec_hash, environment, environment_hash, code_version, started_at, finished_at) VALUES ('k', 'm', 'd', 'reference', 'complete', 's', '{{}}', 'e', 'c', now(), now())")
        con.execute("INSERT INTO rankings SELECT 'k', 'q', i, 'd' || i, 1.0 FROM range(1000) t(i)")
        os._exit(9)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert proc.returncode == 9
    with open_read_only(db_path) as con:
        assert count_rows(con)["runs"] == 0
        assert count_rows(con)["rankings"] == 0


def test_read_only_open_of_missing_db_explains(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no results database"), open_read_only(tmp_path / "none.duckdb"):
        pass


def test_unknown_provenance_or_owner_is_refused() -> None:
    with pytest.raises(ValueError, match="provenance"):
        Writer("guessed", "local")
    with pytest.raises(ValueError, match="owner"):
        Writer("local", "me")


def test_reader_waits_for_writer_lock(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_writer(db_path):
        pass
    monkeypatch.setenv("BENCH_DB_LOCK_TIMEOUT", "0.5")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(db_path)!r}); print('held', flush=True); time.sleep(3)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="BENCH_DB_LOCK_TIMEOUT"), open_read_only(db_path):
            pass
    finally:
        holder.wait(timeout=30)
    monkeypatch.setenv("BENCH_DB_LOCK_TIMEOUT", "30")
    with open_read_only(db_path) as con:
        assert isinstance(con, duckdb.DuckDBPyConnection)


def test_a_new_database_file_is_written_in_a_format_duckdb_1_5_reads(db_path: Path) -> None:
    """DuckDB 2's default format (storage number 69+) is unreadable to the DuckDB CLI 1.5.x users install; a new file
    is written in DuckDB 1.5's (storage number 68, tag v1.5.0+)."""
    import struct

    from bench.store.db import STORAGE_VERSION

    with open_writer(db_path) as con:
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]  # type: ignore[index]
    assert STORAGE_VERSION == "v1.5.0" and tags["storage_version"] == "v1.5.0+"
    header = db_path.read_bytes()[:20]
    assert header[8:12] == b"DUCK" and struct.unpack("<Q", header[12:20])[0] == 68  # DuckDB 1.5 reads 64-68
    with open_writer(db_path) as con:  # reopened read-write, it stays in that format
        pass
    assert struct.unpack("<Q", db_path.read_bytes()[12:20])[0] == 68


def test_documented_views_latest_runs_query_scores_reproductions(db_path: Path) -> None:
    older, newer = _record("r1"), _record("r2")
    newer = RunRecord(**{**newer.__dict__, "finished_at": datetime(2026, 2, 1)})
    with open_writer(db_path) as con:
        record_run(con, older)
        record_run(con, newer)
        latest = con.execute('SELECT run_id, model_name, dataset, "nDCG@10", answered, judged FROM latest_runs').fetchall()
        per_query = con.execute("SELECT count(*), count(DISTINCT run_id) FROM query_scores WHERE metric = 'nDCG@10'").fetchone()
        checks = con.execute("SELECT count(*) FROM reproduction_checks").fetchone()
        views = dict(con.execute("SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
        commented = con.execute("SELECT table_name, count(*) FROM duckdb_columns() WHERE comment IS NOT NULL GROUP BY ALL").fetchall()
    judged = len(resolve_dataset("adi").qrels())
    assert latest == [("r2", "oracle", "adi", 1.0, judged, judged)]  # one row per model version x dataset: the newest
    assert per_query == (2 * judged, 2) and checks == (0,)
    assert set(views) == {"latest_runs", "query_scores", "reproduction_checks"} and all(views.values())
    assert {t for t, _ in commented} == set(views)
