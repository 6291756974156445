"""Published reference numbers in DuckDB (``published_scores``): their own rows, never joined into measured runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import pandas as pd

from bench.published.tables import PublishedScore


def store_published(con: duckdb.DuckDBPyConnection, rows: Sequence[PublishedScore]) -> int:
    """Insert or refresh ``rows`` (one per source, row, dataset, split, metric); returns how many were written."""
    from bench.store.db import migrate, transaction

    migrate(con)
    now = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con, "storing published reference numbers"):
        for r in rows:
            con.execute(
                """INSERT OR REPLACE INTO published_scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [r.source, r.condition, r.dataset, r.split, r.metric, r.value, r.decimals, r.source_ref, now],
            )
    return len(rows)


def published_scores(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored published number: source, row, dataset, split, metric, value, decimals, source_ref, loaded_at."""
    return con.execute("SELECT * FROM published_scores ORDER BY source, row_name, dataset, metric").df()
