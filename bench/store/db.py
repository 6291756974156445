"""Opening the DuckDB results database.

DuckDB lets one process write or several processes read, not both at once. Writers therefore hold
the file only for the short transaction that records a run, and both sides retry while the other
holds the lock (``BENCH_DB_LOCK_TIMEOUT`` seconds, default 60, validated by :func:`bench.paths.lock_timeout`).

A database written by a newer brewbench (migrations this code does not know) is never opened: neither read
(its tables may mean something else) nor migrated (nothing here could bring it "up to date").

A file that is not brewbench's (a SQLite file, random bytes, a DuckDB file with someone else's tables) is refused
before anything is written to it, and every connection has DuckDB's extension autoload and autoinstall off: nothing
here ever reaches the network. All pending migrations apply in one transaction: a failure leaves the file as it was.
"""

from __future__ import annotations

import os
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

NO_NETWORK = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}
"""Settings of every connection: DuckDB never loads or downloads an extension on its own (no network, ever)."""

_DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file


STORAGE_VERSION = "v1.5.0"
"""The storage format a new database file is written in: DuckDB 1.5's (storage number 68), which every DuckDB from 1.5
on reads, the DuckDB CLI 1.5.x included; DuckDB 2's own format (the default) is unreadable to those ("version number
69, can only read 64-68"). A file that exists keeps the format it was created with (`bench db migrate` never rewrites
it; see the README to convert an older file)."""


def check_ours(path: Path) -> None:
    """Refuse an existing file that is not a DuckDB database before DuckDB opens it (an empty file is a new database).

    Raises:
        StoreError: ``not a brewbench results database (a SQLite file | not a DuckDB file); pass another --db``.
    """
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        return
    except OSError as e:
        raise StoreError(f"{path}: cannot read the results database ({e.strerror or e})") from e
    if not head:
        return
    if head[8:12] != _DUCKDB_MAGIC:
        what = "a SQLite file" if head.startswith(b"SQLite format 3") else "not a DuckDB file"
        raise StoreError(f"{path}: not a brewbench results database ({what}); pass another --db")


def check_brewbench_tables(con: duckdb.DuckDBPyConnection, path: Path | str) -> None:
    """Refuse a DuckDB file holding tables but no ``_migrations`` (someone else's database); nothing is written."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if tables and "_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:3]) + (", ..." if len(tables) > 3 else "")
        raise StoreError(f"{path}: not a brewbench results database (tables {shown} and no _migrations); pass another --db")


def _lock_timeout() -> float:
    return lock_timeout()


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    check_ours(path)
    deadline = time.monotonic() + _lock_timeout()
    delay = 0.05
    while True:
        try:
            new_file = not read_only and not path.exists()
            config = {**NO_NETWORK, **({"storage_compatibility_version": STORAGE_VERSION} if new_file else {})}
            return duckdb.connect(str(path), read_only=read_only, config=config)
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
    """Apply pending migrations, all in one transaction; returns the numbers applied.

    Raises:
        StoreError: the file is someone else's database (:func:`check_brewbench_tables`) or was written by a newer
            brewbench (:func:`check_not_newer`); nothing is changed.
    """
    check_brewbench_tables(con, path)
    check_not_newer(con, path)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE TABLE IF NOT EXISTS _migrations (number INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
        done = {row[0] for row in con.execute("SELECT number FROM _migrations").fetchall()}
        applied = []
        for number, name, fn in MIGRATIONS:
            if number in done:
                continue
            fn(con)
            con.execute("INSERT INTO _migrations VALUES (?, ?, ?)", [number, name, datetime.now(UTC).replace(tzinfo=None)])
            applied.append(number)
        con.execute("COMMIT")
    except Exception as e:
        con.execute("ROLLBACK")
        if isinstance(e, duckdb.Error):
            raise StoreError(f"{path}: migrating the results database failed and was rolled back ({e})") from e
        raise
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
        check_brewbench_tables(con, path)
        check_not_newer(con, path)
        if schema_version(con) < len(MIGRATIONS):
            raise StoreError(f"{path}: database schema is older than this brewbench; run `bench db migrate --db {path}` once")
        yield con
    finally:
        con.close()


def _writable(path: Path) -> bool:
    """Writable by us, and not marked read-only (no owner write bit: a refusal we respect even when run as root)."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o200)


def check_writable(path: Path) -> None:
    """Before any work: refuse a database that could not take the result (not ours, newer, or not writable).

    A busy database passes (the write waits for it, or saves the run for later); an older one passes (the write migrates).

    Raises:
        StoreError: the file is not brewbench's, is newer, or it or its folder is not writable.
    """
    if path.exists():
        if not path.is_file():
            raise StoreError(f"{path}: not a file; pass a database file as --db")
        if not _writable(path) or not _writable(path.parent):
            raise StoreError(f"{path}: the results database is read-only; make it and its folder writable or pass another --db")
        check_ours(path)
        try:
            con = duckdb.connect(str(path), read_only=True, config=dict(NO_NETWORK))
        except duckdb.IOException as e:
            if any(m in str(e) for m in _LOCK_MARKERS):
                return  # busy: the write waits for it, or saves the run for later
            raise StoreError(f"{path}: cannot open the results database ({e})") from e
        except duckdb.Error as e:
            raise StoreError(f"{path}: cannot open the results database ({e})") from e
        try:
            check_brewbench_tables(con, path)
            check_not_newer(con, path)
        finally:
            con.close()
        return
    folder = next((p for p in path.parents if p.exists()), Path("."))
    if not _writable(folder):
        raise StoreError(f"{path}: cannot create the results database ({folder} is not writable); pass another --db")


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
