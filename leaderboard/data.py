"""Reads from the app: a short read-only connection per request, cached by the database file's state.

The leaderboard never holds the DuckDB file: each read opens it read-only, runs one query from
:mod:`bench.store.leaderboard`, and closes it, so ``bench run`` (which holds it only for its short record
transaction) can write between requests. While a writer holds the lock, ``open_read_only`` retries
with backoff (``BENCH_DB_LOCK_TIMEOUT``). Results are cached per (file, size, mtime): a new run
invalidates the cache, repeated renders do not touch the file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import streamlit as st

from bench.datasets.beir import Dataset
from bench.errors import BenchError
from bench.paths import default_db
from bench.store import leaderboard as reads
from bench.store import variants as variant_reads
from bench.store.db import open_read_only
from bench.suites import public as suite_reads


def db_path() -> Path:
    """The database: ``--db`` after ``--`` on the streamlit command line, else ``$BENCH_DB``, else ./results.duckdb."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--db", type=Path, default=None)
    known, _ = parser.parse_known_args(sys.argv[1:])
    return known.db or default_db()


def _state(path: Path) -> tuple[int, int, int, int]:
    def stat(p: Path) -> tuple[int, int]:
        try:
            s = p.stat()
        except OSError:
            return (0, 0)
        return (s.st_mtime_ns, s.st_size)

    return stat(path) + stat(path.with_name(path.name + ".wal"))


@st.cache_data(show_spinner=False, max_entries=512)
def _read(query: str, path: str, state: tuple[int, ...], args: tuple[Any, ...]) -> Any:
    fn = getattr(reads, query, None) or getattr(suite_reads, query, None) or getattr(variant_reads, query)
    with open_read_only(Path(path)) as con:
        return fn(con, *args)


def read(query: str, *args: Any) -> Any:
    """Run ``bench.store.leaderboard.<query>(con, *args)`` on a fresh read-only connection (cached)."""
    path = db_path().resolve()
    return _read(query, str(path), _state(path), tuple(args))


class DatasetTexts:
    """Query texts, document titles and judgments of a dataset folder whose content hash matches the run's."""

    def __init__(self, dataset: Dataset) -> None:
        self.queries = {q.id: q.text for q in dataset.queries().values()}
        self.qrels = {q: dict(d) for q, d in dataset.qrels().items()}
        self.titles = {d.id: (d.title or d.text)[:160] for d in dataset.iter_corpus()}


@st.cache_resource(show_spinner=False, max_entries=32)
def dataset_texts(source: str, name: str, split: str, dataset_hash: str) -> DatasetTexts | None:
    """Texts for display, or None when the recorded folder is gone or holds different content."""
    folder = Path(source)
    if not (folder / "corpus.jsonl").is_file():
        return None
    ds = Dataset(name=name, path=folder, split=split)
    try:
        if ds.content_hash != dataset_hash:
            return None
        return DatasetTexts(ds)
    except (BenchError, OSError):  # a malformed or changed folder: show ids only
        return None
