"""Submissions: the submission rows and their run files (writes inside the caller's transaction, and reads).

The callers (:mod:`bench.submissions.ingest`, :mod:`bench.reproduction`) open one transaction around a
submission's runs and these rows, so a submission is recorded whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from bench.errors import StoreError

SUBMISSION_STATUSES = ("pending", "self-reported", "reproduced", "rejected", "withdrawn")
CLOSED = ("rejected", "withdrawn")
"""Statuses of a submission closed without being published: its runs stay ``pending`` (never shown), on record."""


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
        """INSERT INTO submissions (submission_id, model_name, status, source, metadata, spec, received_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
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
    """Move a submission and the given runs of ``model_name`` to ``provenance`` (pending -> self-reported -> reproduced)."""
    if provenance not in SUBMISSION_STATUSES:
        raise StoreError(f"submission status '{provenance}' is not one of {', '.join(SUBMISSION_STATUSES)}")
    ids = list(run_ids)
    if ids:
        con.execute(f"UPDATE runs SET provenance = ? WHERE run_id IN ({', '.join('?' for _ in ids)})", [provenance, *ids])
    con.execute("UPDATE submissions SET status = ?, updated_at = ? WHERE submission_id = ?", [provenance, now, submission_id])


def close_submission(con: duckdb.DuckDBPyConnection, *, submission_id: str, status: str, by: str, reason: str, now: datetime) -> None:
    """Close a pending submission without publishing it (``rejected`` by a maintainer, ``withdrawn`` by its submitter).

    The submission row and its runs stay, as a record; the runs keep provenance ``pending``, which is never shown.
    """
    if status not in CLOSED:
        raise StoreError(f"a submission is closed as {' or '.join(CLOSED)}, not '{status}'")
    decision = json.dumps({"by": by, "reason": reason, "at": now.isoformat()})
    con.execute(
        "UPDATE submissions SET status = ?, decision = ?, updated_at = ? WHERE submission_id = ?", [status, decision, now, submission_id]
    )


@dataclass(frozen=True)
class SubmissionInfo:
    submission_id: str
    model_name: str
    status: str
    source: str
    metadata: Mapping[str, Any] | None = None
    spec: Mapping[str, Any] | None = None


def submission_info(con: duckdb.DuckDBPyConnection, submission_id: str) -> SubmissionInfo | None:
    row = con.execute(
        "SELECT submission_id, model_name, status, source, metadata, spec FROM submissions WHERE submission_id = ?", [submission_id]
    ).fetchone()
    if not row:
        return None
    return SubmissionInfo(row[0], row[1], row[2], row[3], json.loads(row[4]) if row[4] else None, json.loads(row[5]) if row[5] else None)


def submission_runs(con: duckdb.DuckDBPyConnection, submission_id: str) -> dict[str, str]:
    """``dataset_hash -> run_id`` of a submission's runs."""
    rows = con.execute("SELECT dataset_hash, run_id FROM submission_runs WHERE submission_id = ?", [submission_id]).fetchall()
    return dict(rows)


def submission_files(con: duckdb.DuckDBPyConnection, submission_id: str) -> tuple[str | None, dict[str, str]] | None:
    """What was ingested: ``(identity hash of its runs, dataset_hash -> sha256 of the run file)``; None if not ingested."""
    rows = con.execute(
        """SELECT s.dataset_hash, s.file_sha256, r.spec_hash FROM submission_runs s JOIN runs r USING (run_id)
           WHERE s.submission_id = ?""",
        [submission_id],
    ).fetchall()
    if not rows:
        return None
    return rows[0][2], {d: sha for d, sha, _ in rows}


def submissions_table(con: duckdb.DuckDBPyConnection, status: str | None = None) -> pd.DataFrame:
    """One row per submission (newest first): id, model, status, number of runs, received."""
    clause, args = ("WHERE s.status = ?", [status]) if status else ("", [])
    return con.execute(
        f"""
        SELECT s.submission_id, s.model_name AS model, s.status, count(r.run_id) AS runs, s.received_at, s.updated_at, s.source,
               s.decision->>'by' AS closed_by, s.decision->>'reason' AS reason
        FROM submissions s LEFT JOIN submission_runs r USING (submission_id)
        {clause}
        GROUP BY ALL
        ORDER BY s.received_at DESC
        """,
        args,
    ).df()
