"""Writes for reproductions and submissions, each inside the caller's open transaction.

The callers (:mod:`bench.reproduction`, :mod:`bench.submissions.ingest`) open one transaction
around a run's rows and these rows, so a check or a submission is recorded whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from bench.errors import StoreError

SUBMISSION_STATUSES = ("pending", "self-reported", "reproduced")


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


def insert_submission(
    con: duckdb.DuckDBPyConnection,
    *,
    submission_id: str,
    model_name: str,
    status: str,
    source: str,
    metadata: Mapping[str, Any],
    spec: Mapping[str, Any] | None,
    received_at: datetime,
    runs: Iterable[tuple[str, str, str, str, float]],
) -> None:
    """Insert a submission and its runs: ``(run_id, dataset_hash, file, file_sha256, coverage)`` each."""
    if status not in SUBMISSION_STATUSES:
        raise StoreError(f"submission status '{status}' is not one of {', '.join(SUBMISSION_STATUSES)}")
    con.execute(
        "INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            submission_id,
            model_name,
            status,
            source,
            json.dumps(dict(metadata), default=str),
            json.dumps(dict(spec), default=str) if spec is not None else None,
            received_at,
            received_at,
        ],
    )
    for run_id, dataset_hash, file, sha, coverage in runs:
        con.execute("INSERT INTO submission_runs VALUES (?, ?, ?, ?, ?, ?)", [submission_id, run_id, dataset_hash, file, sha, coverage])


def set_provenance(
    con: duckdb.DuckDBPyConnection, *, submission_id: str, model_name: str, run_ids: Iterable[str], provenance: str, now: datetime
) -> None:
    """Move a submission, its model and the given runs to ``provenance`` (pending -> self-reported -> reproduced)."""
    if provenance not in SUBMISSION_STATUSES:
        raise StoreError(f"submission status '{provenance}' is not one of {', '.join(SUBMISSION_STATUSES)}")
    ids = list(run_ids)
    if ids:
        con.execute(f"UPDATE runs SET provenance = ? WHERE run_id IN ({', '.join('?' for _ in ids)})", [provenance, *ids])
    con.execute("UPDATE models SET provenance = ?, updated_at = ? WHERE name = ?", [provenance, now, model_name])
    con.execute("UPDATE submissions SET status = ?, updated_at = ? WHERE submission_id = ?", [provenance, now, submission_id])
