"""Reproductions: one row per metric of each `bench reproduce` check (writes inside the caller's transaction, and reads)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd


@dataclass(frozen=True)
class ReproductionRow:
    """One metric of one reproduction."""

    metric: str
    expected: float
    observed: float | None
    tolerance: float
    verdict: str


def insert_reproduction(
    con: duckdb.DuckDBPyConnection,
    *,
    reproduction_id: str,
    checked_at: datetime,
    model_name: str,
    source: str,
    spec_hash: str | None,
    dataset_hash: str,
    dataset_name: str,
    run_id: str | None,
    rows: Iterable[ReproductionRow],
) -> None:
    """Insert the per-metric rows of one reproduction."""
    for r in rows:
        diff = None if r.observed is None else r.observed - r.expected
        con.execute(
            "INSERT INTO reproductions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                reproduction_id,
                checked_at,
                model_name,
                source,
                spec_hash,
                dataset_hash,
                dataset_name,
                run_id,
                r.metric,
                r.expected,
                r.observed,
                diff,
                r.tolerance,
                r.verdict,
            ],
        )


def reproductions_table(con: duckdb.DuckDBPyConnection, model: str | None = None) -> pd.DataFrame:
    """Every recorded reproduction check, one row per metric (newest first)."""
    clause, args = ("WHERE model_name = ?", [model]) if model else ("", [])
    return con.execute(
        f"""
        SELECT reproduction_id, checked_at, model_name AS model, dataset_name AS dataset, left(dataset_hash, 12) AS dataset_hash,
               source, run_id, metric, expected, observed, diff, tolerance, verdict
        FROM reproductions {clause}
        ORDER BY checked_at DESC, reproduction_id, metric
        """,
        args,
    ).df()
