"""The database file may not be ours (issue 21, class 3): a file that is not brewbench's is refused before anything
is written, DuckDB never autoloads or downloads an extension, migrations are one transaction, and `bench run` checks
writability and schema before any indexing or search.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from bench.errors import StoreError
from bench.store import db as store_db
from bench.store.db import open_read_only, open_writer
from bench.store.migrations import MIGRATIONS
from tests.clihelp import bench

ROOT = Path(__file__).resolve().parents[2]
FLAT = ROOT / "models" / "bm25-flat.yaml"


def _sqlite(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE runs (x INTEGER)")
    con.commit()
    con.close()
    return path


def _random(path: Path) -> Path:
    path.write_bytes(os.urandom(64 * 1024))
    return path


def _foreign_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE runs (id INTEGER, who VARCHAR)")
    con.execute("INSERT INTO runs VALUES (1, 'someone else')")
    con.close()
    return path


def _text(path: Path) -> Path:
    path.write_text("run_id,score\n1,0.5\n")
    return path


FOREIGN = {
    "sqlite": (_sqlite, "not a brewbench results database (a SQLite file)"),
    "random-bytes": (_random, "not a brewbench results database (not a DuckDB file)"),
    "foreign-duckdb": (_foreign_duckdb, "not a brewbench results database (tables runs and no _migrations)"),
    "csv-text": (_text, "not a brewbench results database (not a DuckDB file)"),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_a_file_that_is_not_ours_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    make, expected = FOREIGN[kind]
    path = make(tmp_path / "results.duckdb")
    before = _digest(path)
    for opener in (open_read_only, open_writer):
        with pytest.raises(StoreError) as e, opener(path):
            pass
        assert str(e.value).startswith(f"{path}: {expected}"), e.value
    for args in (("db", "migrate"), ("results",), ("run", FLAT, "-d", "adi")):
        t0 = time.monotonic()
        r = bench(capsys, *args, "--db", path)
        assert r.code == 5, (args, r.err)
        assert r.err.strip().count("\n") == 0 and expected in r.err and "Traceback" not in r.err, r.err
        assert "indexing" not in r.err and time.monotonic() - t0 < 30
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.duckdb"]  # no .wal, no extension download


def test_every_connection_has_extension_autoload_and_autoinstall_off(tmp_path: Path) -> None:
    path = tmp_path / "results.duckdb"
    for opener in (open_writer, open_read_only):
        with opener(path) as con:
            settings = dict(
                con.execute(
                    "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoload_known_extensions', 'autoinstall_known_extensions')"
                ).fetchall()
            )
            assert settings == {"autoload_known_extensions": "false", "autoinstall_known_extensions": "false"}


def test_migrations_are_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "results.duckdb"

    def broken(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE half_done (x INTEGER)")
        raise duckdb.Error("boom")

    monkeypatch.setattr(store_db, "MIGRATIONS", [*MIGRATIONS, (len(MIGRATIONS) + 1, "m_broken", broken)])
    with pytest.raises(StoreError, match="failed and was rolled back"), open_writer(path):
        pass
    con = duckdb.connect(str(path))
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert tables == set()  # not even _migrations: the first migrations rolled back with the broken one


def _newer(path: Path) -> Path:
    with open_writer(path):
        pass
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO _migrations VALUES (?, ?, ?)", [len(MIGRATIONS) + 1, "future", datetime(2030, 1, 1)])
    con.close()
    return path


@pytest.mark.parametrize("case", ["read-only-file", "read-only-folder", "newer-schema"])
def test_bench_run_checks_the_database_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    path = folder / "results.duckdb"
    if case == "newer-schema":
        _newer(path)
        expected = "written by a newer brewbench"
    elif case == "read-only-file":
        with open_writer(path):
            pass
        path.chmod(0o444)
        expected = "the results database is read-only"
    else:
        path = folder / "new.duckdb"
        folder.chmod(0o555)
        expected = "is not writable"
    try:
        t0 = time.monotonic()
        r = bench(capsys, "run", FLAT, "-d", "adi", "--db", path)
        assert r.code == 5 and r.err.strip().count("\n") == 0 and expected in r.err and "Traceback" not in r.err, r.err
        assert "indexing" not in r.err and "searching" not in r.err and time.monotonic() - t0 < 30
    finally:
        folder.chmod(0o755)
        if path.exists():
            path.chmod(0o644)
