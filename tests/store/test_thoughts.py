"""Thoughts in DuckDB: the migration, the write inside a run's transaction (all or nothing), the reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import StoreError
from bench.store.db import open_read_only, open_writer, transaction
from bench.store.thoughts import insert_thoughts, replay_log, run_thoughts, thought_counts
from bench.types import Thought

THOUGHTS = [
    Thought("7", 0, "first [bold]thought[/bold]", 12, 0.5, "stop", "query seven"),
    Thought("7", 1, "second thought", 32, 0.75, "length", "query seven"),
    Thought("10", 0, "a thought about ten", 20, 0.25, "stop", "query ten"),
]


def test_thoughts_round_trip_in_query_then_sample_order(db_path: Path) -> None:
    with open_writer(db_path) as con, transaction(con, "test"):
        assert insert_thoughts(con, "run1", THOUGHTS) == 3
        assert insert_thoughts(con, "run1b", []) == 0
    with open_read_only(db_path) as con:
        assert run_thoughts(con, "run1") == sorted(THOUGHTS, key=lambda t: (t.query_id, t.sample))
        assert run_thoughts(con, "run1", "7") == THOUGHTS[:2]
        assert thought_counts(con, "run1") == (2, 3)
        assert thought_counts(con, "nothing") == (0, 0)
        assert [t.sample for t in replay_log(con, "run1")["7"]] == [0, 1]


def test_a_failed_transaction_leaves_no_thoughts(db_path: Path) -> None:
    with open_writer(db_path) as con:
        with pytest.raises(StoreError, match="rolled back"), transaction(con, "test"):
            insert_thoughts(con, "run2", THOUGHTS[:1])
            insert_thoughts(con, "run2", THOUGHTS[:1])  # the same (run, query, sample) twice violates the primary key
        assert run_thoughts(con, "run2") == []
