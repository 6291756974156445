"""Hostile databases and settings of the store (issue 8, item 9): a database written by a newer brewbench is never
opened (read, written or "migrated"), and BENCH_DB_LOCK_TIMEOUT must be a number of seconds in range.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from bench.errors import StoreError
from bench.store.db import open_read_only, open_writer
from bench.store.migrations import MIGRATIONS
from tests.clihelp import bench

M = len(MIGRATIONS)


def _db(tmp_path: Path, extra: list[tuple[int, str]] = (), rename: tuple[int, str] | None = None) -> Path:  # type: ignore[assignment]
    """A current database, then changed as a newer brewbench would have left it."""
    path = tmp_path / "results.duckdb"
    with open_writer(path):
        pass
    con = duckdb.connect(str(path))
    for number, name in extra:
        con.execute(f"CREATE TABLE {name} (x INTEGER)")
        con.execute("INSERT INTO _migrations VALUES (?, ?, ?)", [number, name, datetime(2030, 1, 1)])
    if rename is not None:
        con.execute("UPDATE _migrations SET name = ? WHERE number = ?", [rename[1], rename[0]])
    con.close()
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _migrations(path: Path) -> list[tuple[int, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT number, name FROM _migrations ORDER BY number").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("extra", "rename", "expected"),
    [
        ([(M + 1, "future_table")], None, f"written by a newer brewbench (schema {M + 1} > {M}); upgrade brewbench"),
        ([(M + 1, "future_a"), (M + 2, "future_b")], None, f"written by a newer brewbench (schema {M + 2} > {M}); upgrade brewbench"),
        ([(M + 7, "far_future")], None, f"written by a newer brewbench (schema {M + 7} > {M}); upgrade brewbench"),
        ([], (M, "another_meaning"), f"written by a newer or different brewbench (migration {M} is 'another_meaning' there"),
    ],
)
def test_a_newer_database_is_never_opened_nor_migrated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[tuple[int, str]], rename: tuple[int, str] | None, expected: str
) -> None:
    path = _db(tmp_path, extra, rename)
    before, rows = _digest(path), _migrations(path)
    for opener in (open_read_only, open_writer):
        with pytest.raises(StoreError) as e, opener(path):
            pass
        assert str(e.value) == f"{path}: {expected}" or str(e.value).startswith(f"{path}: {expected}")
    for args in (("db", "migrate"), ("results",)):
        r = bench(capsys, *args, "--db", path)
        assert r.code == 5 and r.err.strip().count("\n") == 0 and expected in r.err, r.err
        assert "up to date" not in r.out
    assert _migrations(path) == rows and _digest(path) == before


def test_a_current_database_still_opens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _db(tmp_path)
    r = bench(capsys, "db", "migrate", "--db", path)
    assert r.code == 0 and f"schema version {M} (up to date)" in r.out


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf", "1e9", "", "  ", "60s"])
def test_lock_timeout_must_be_seconds_in_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    monkeypatch.setenv("BENCH_DB_LOCK_TIMEOUT", value)
    path = tmp_path / "results.duckdb"
    with pytest.raises(StoreError) as e, open_writer(path):
        pass
    msg = str(e.value)
    assert msg.startswith("BENCH_DB_LOCK_TIMEOUT") and ("from 0 to 86400" in msg or "set but empty" in msg) and "\n" not in msg
    r = bench(capsys, "db", "migrate", "--db", path)
    assert r.code == 5 and "BENCH_DB_LOCK_TIMEOUT" in r.err and r.err.strip().count("\n") == 0, r.err
    assert not path.exists()


@pytest.mark.parametrize("value", ["0", "2.5", "86400"])
def test_valid_lock_timeouts_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BENCH_DB_LOCK_TIMEOUT", value)
    with open_writer(tmp_path / "results.duckdb") as con:
        assert con.execute("SELECT count(*) FROM _migrations").fetchone()[0] == M  # type: ignore[index]
