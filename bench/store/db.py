"""Opening the DuckDB results database.

DuckDB lets one process write or several processes read, not both at once. Writers therefore hold
the file only for the short transaction that records a run, and both sides retry while the other
holds the lock (``BENCH_DB_LOCK_TIMEOUT`` seconds, default 60, validated by :func:`bench.paths.lock_timeout`).

A database written by a newer brewbench (migrations this code does not know) is never opened: neither read
(its tables may mean something else) nor migrated (nothing here could bring it "up to date").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bench.errors import DatabaseBusy, StoreError
from bench.paths import lock_timeout
from bench.store.migrations import MIGRATIONS

_LOCK_MARKERS = ("lock", "Conflicting", "being used")


def _lock_timeout() -> float:
    return lock_timeout()


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + _lock_timeout()
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as e:
            if not any(m in str(e) for m in _LOCK_MARKERS):
                raise StoreError(f"{path}: cannot open the results database ({e})") from e
            if time.monotonic() > deadline:
                raise DatabaseBusy(
                    f"{path}: another process held the results database for {_lock_timeout():g} s ({e}); wait for it or raise BENCH_DB_LOCK_TIMEOUT"
                ) from e
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        except duckdb.Error as e:
            raise StoreError(f"{path}: cannot open the results database ({e})") from e


def check_not_newer(con: duckdb.DuckDBPyConnection, path: Path | str) -> None:
    """Refuse a database whose ``_migrations`` holds numbers beyond this code's MIGRATIONS or names it does not know.

    Raises:
        StoreError: ``written by a newer brewbench (schema N > M); upgrade brewbench``.
    """
    try:
        rows = con.execute("SELECT number, name FROM _migrations ORDER BY number").fetchall()
    except duckdb.CatalogException:
        return
    known = {number: name for number, name, _ in MIGRATIONS}
    newer = [number for number, _ in rows if number not in known]
    if newer:
        raise StoreError(f"{path}: written by a newer brewbench (schema {max(newer)} > {len(MIGRATIONS)}); upgrade brewbench")
    other = next(((number, name) for number, name in rows if known[number] != name), None)
    if other is not None:
        number, name = other
        raise StoreError(
            f"{path}: written by a newer or different brewbench (migration {number} is '{name}' there, '{known[number]}' here); "
            "upgrade brewbench"
        )


def migrate(con: duckdb.DuckDBPyConnection, path: Path | str = "results database") -> list[int]:
    """Apply pending migrations, each in its own transaction; returns the numbers applied.

    Raises:
        StoreError: the database was written by a newer brewbench (:func:`check_not_newer`); nothing is changed.
    """
    con.execute("CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    check_not_newer(con, path)
    done = {row[0] for row in con.execute("SELECT number FROM _migrations").fetchall()}
    applied = []
    for number, name, fn in MIGRATIONS:
        if number in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            fn(con)
            con.execute("INSERT INTO _migrations VALUES (?, ?, ?)", [number, name, datetime.now(UTC).replace(tzinfo=None)])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(number)
    return applied


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        return int(con.execute("SELECT coalesce(max(number), 0) FROM _migrations").fetchone()[0])  # type: ignore[index]
    except duckdb.CatalogException:
        return 0


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """Open read-write, creating and migrating the database as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only=False)
    try:
        migrate(con, path)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def open_writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection (releases the file lock on exit)."""
    con = connect(path)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def open_read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; fails with a clear message when the database does not exist or is too old."""
    if not path.is_file():
        raise StoreError(f"{path}: no results database here. Record a run first (`bench run ... --db {path}`) or pass --db")
    con = _open(path, read_only=True)
    try:
        check_not_newer(con, path)
        if schema_version(con) < len(MIGRATIONS):
            raise StoreError(f"{path}: database schema is older than this brewbench; run `bench db migrate --db {path}` once")
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT around the block; ROLLBACK on any exception (database errors become StoreError naming ``what``)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except Exception as e:
        con.execute("ROLLBACK")
        if isinstance(e, duckdb.Error):
            raise StoreError(f"{what} failed and was rolled back: {e}") from e
        raise
