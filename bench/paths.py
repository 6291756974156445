"""Where brewbench keeps its caches, data and default database (all overridable by environment, validated by :mod:`bench.settings`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.errors import DatasetError, StoreError
from bench.settings import env_file, env_folder, env_folders, env_seconds


def home_dir() -> Path:
    """Root of brewbench's per-user state: ``BENCH_HOME`` or ``~/.cache/brewbench``."""
    return env_folder("BENCH_HOME", Path.home() / ".cache" / "brewbench")


def cache_dir() -> Path:
    """Caches (indexes, embeddings, pyserini): ``BENCH_CACHE`` or ``<home>/cache``."""
    return env_folder("BENCH_CACHE", home_dir() / "cache")


def data_dir() -> Path:
    """Default download folder for datasets: ``BENCH_DATA_DIR`` or ``<home>/data``."""
    return env_folder("BENCH_DATA_DIR", home_dir() / "data", DatasetError)


def data_path() -> list[Path]:
    """Extra folders searched for datasets, in order: ``BENCH_DATA_PATH`` (``os.pathsep``-separated), empty when unset."""
    return env_folders("BENCH_DATA_PATH", DatasetError)


def inbox_dir() -> Path:
    """Where uploaded submissions wait: ``BENCH_INBOX`` or ``<home>/inbox``."""
    return env_folder("BENCH_INBOX", home_dir() / "inbox")


def default_db() -> Path:
    """Default results database: ``BENCH_DB`` or ``./results.duckdb``."""
    return env_file("BENCH_DB", Path("results.duckdb"), StoreError)


MAX_LOCK_TIMEOUT_S = 24 * 3600.0


def lock_timeout() -> float:
    """Seconds to wait for another process's hold on the database: ``BENCH_DB_LOCK_TIMEOUT`` (0 to 86400) or 60."""
    return env_seconds("BENCH_DB_LOCK_TIMEOUT", 60.0, 0.0, MAX_LOCK_TIMEOUT_S, StoreError)


MAX_PROGRESS_INTERVAL_S = 3600.0


def progress_interval() -> float:
    """Seconds between progress lines in a log (stderr not a terminal): ``BENCH_PROGRESS_INTERVAL`` (0 to 3600) or 10."""
    return env_seconds("BENCH_PROGRESS_INTERVAL", 10.0, 0.0, MAX_PROGRESS_INTERVAL_S)


@contextmanager
def fresh_caches() -> Iterator[Path]:
    """Run the block with every cache empty and new (``--fresh``): ``BENCH_CACHE`` points at a temporary folder.

    Embeddings, Lucene indexes, thoughts and training stages all live under :func:`cache_dir`, so nothing cached
    before is read, and nothing computed in the block lands in (or replaces) the real cache; the folder is removed
    afterwards. Results still go to the database as usual.
    """
    import os
    import shutil
    import tempfile

    before = os.environ.get("BENCH_CACHE")
    folder = Path(tempfile.mkdtemp(prefix="bench-fresh-"))
    os.environ["BENCH_CACHE"] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop("BENCH_CACHE", None)
        else:
            os.environ["BENCH_CACHE"] = before
        shutil.rmtree(folder, ignore_errors=True)
