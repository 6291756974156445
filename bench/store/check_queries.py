"""SELECTs about reproductions and submissions (re-exported by :mod:`bench.store.queries`)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

__all__ = [
    "SubmissionInfo",
    "model_owner",
    "reproductions_table",
    "submission_info",
    "submission_runs",
    "submissions_table",
]


@dataclass(frozen=True)
class SubmissionInfo:
    submission_id: str
    model_name: str
    status: str
    source: str


def submission_info(con: duckdb.DuckDBPyConnection, submission_id: str) -> SubmissionInfo | None:
    row = con.execute(
        "SELECT submission_id, model_name, status, source FROM submissions WHERE submission_id = ?", [submission_id]
    ).fetchone()
    return SubmissionInfo(*row) if row else None


def submission_runs(con: duckdb.DuckDBPyConnection, submission_id: str) -> dict[str, str]:
    """``dataset_hash -> run_id`` of a submission's runs."""
    rows = con.execute("SELECT dataset_hash, run_id FROM submission_runs WHERE submission_id = ?", [submission_id]).fetchall()
    return dict(rows)


def model_owner(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str | None] | None:
    """``(provenance, submission id or None)`` of a recorded model name, or None when the name is free."""
    row = con.execute(
        "SELECT m.provenance, s.submission_id FROM models m LEFT JOIN submissions s ON s.model_name = m.name WHERE m.name = ? LIMIT 1",
        [name],
    ).fetchone()
    return (row[0], row[1]) if row else None


def submissions_table(con: duckdb.DuckDBPyConnection, status: str | None = None) -> pd.DataFrame:
    """One row per submission (newest first): id, model, status, number of runs, received."""
    clause, args = ("WHERE s.status = ?", [status]) if status else ("", [])
    return con.execute(
        f"""
        SELECT s.submission_id, s.model_name AS model, s.status, count(r.run_id) AS runs, s.received_at, s.updated_at, s.source
        FROM submissions s LEFT JOIN submission_runs r USING (submission_id)
        {clause}
        GROUP BY ALL
        ORDER BY s.received_at DESC
        """,
        args,
    ).df()


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
