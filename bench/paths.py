"""Where brewbench keeps its caches, data and default database (all overridable by environment)."""

from __future__ import annotations

import os
from pathlib import Path


def home_dir() -> Path:
    """Root of brewbench's per-user state: ``BENCH_HOME`` or ``~/.cache/brewbench``."""
    return Path(os.environ.get("BENCH_HOME") or Path.home() / ".cache" / "brewbench")


def cache_dir() -> Path:
    """Caches (indexes, embeddings, pyserini): ``BENCH_CACHE`` or ``<home>/cache``."""
    return Path(os.environ.get("BENCH_CACHE") or home_dir() / "cache")


def data_dir() -> Path:
    """Default download folder for datasets: ``BENCH_DATA_DIR`` or ``<home>/data``."""
    return Path(os.environ.get("BENCH_DATA_DIR") or home_dir() / "data")


def default_db() -> Path:
    """Default results database: ``BENCH_DB`` or ``./results.duckdb``."""
    return Path(os.environ.get("BENCH_DB") or "results.duckdb")
