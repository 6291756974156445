"""Reproductions: one row per metric of each `bench reproduce` check (writes inside the caller's transaction, and reads)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
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
    code_version: str | None = None,
    fresh: bool | None = None,
    caches_read: dict[str, int] | None = None,
    note: str | None = None,
) -> None:
    """Insert the per-metric rows of one reproduction (``code_version``: the brewbench that checked).

    ``fresh``: made with ``--fresh`` (no cache read); ``caches_read``: cache hits by kind (empty when none was read);
    ``note``: what the verdict says beyond its metrics (weights that differ from the pinned ones, a kernel difference).
    """
    import json

    reads = None if caches_read is None else json.dumps(caches_read, sort_keys=True)
    for r in rows:
        diff = None if r.observed is None else r.observed - r.expected
        con.execute(
            """INSERT INTO reproductions (reproduction_id, checked_at, model_name, source, spec_hash, dataset_hash, dataset_name,
                                         run_id, metric, expected, observed, diff, tolerance, verdict, code_version,
                                         fresh, caches_read, note)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
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
                code_version,
                fresh,
                reads,
                note,
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


def latest_verdicts(con: duckdb.DuckDBPyConnection, model: str, spec_hash: str | None = None) -> pd.DataFrame:
    """The latest ``bench reproduce`` check of ``model`` on each dataset content, with its overall verdict.

    Args:
        con: a (read-only) connection.
        model: the model name.
        spec_hash: only checks of this spec version; None: the latest check per dataset content, whichever version.

    Returns:
        One row per dataset content (ordered by dataset name): dataset, dataset_hash, verdict (the worst of its metrics:
        FAIL, else OKish, else OK), checked_at, code_version (None for checks recorded before it was), spec_hash, run_id
        (the run it vouches for; None when it failed), metrics (how many were compared), failed (metrics whose verdict
        is FAIL), max_abs_diff, diffs (metric -> observed - expected, None when not computed), fresh, caches_read (JSON
        text), note, and mode: ``fresh`` (no cache read), ``cached (embeddings 2, ...)``, or ``unknown`` (recorded before
        brewbench recorded it).
    """
    clause, args = ("AND spec_hash = ?", [model, spec_hash]) if spec_hash is not None else ("", [model])
    df = con.execute(
        f"""
        WITH checks AS (
            SELECT reproduction_id,
                   any_value(checked_at) AS checked_at, any_value(dataset_name) AS dataset, any_value(dataset_hash) AS dataset_hash,
                   any_value(spec_hash) AS spec_hash, any_value(code_version) AS code_version, any_value(run_id) AS run_id,
                   any_value(fresh) AS fresh, any_value(CAST(caches_read AS VARCHAR)) AS caches_read, any_value(note) AS note,
                   CASE WHEN bool_or(verdict = 'FAIL') THEN 'FAIL' WHEN bool_or(verdict = 'OKish') THEN 'OKish' ELSE 'OK' END AS verdict,
                   count(*) AS metrics,
                   list(metric ORDER BY metric) FILTER (WHERE verdict = 'FAIL') AS failed,
                   max(abs(diff)) AS max_abs_diff,
                   map(list(metric ORDER BY metric), list(diff ORDER BY metric)) AS diffs
            FROM reproductions
            WHERE model_name = ? {clause}
            GROUP BY reproduction_id
        ),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY dataset_hash ORDER BY checked_at DESC, reproduction_id DESC) AS pick FROM checks
        )
        SELECT dataset, dataset_hash, verdict, checked_at, code_version, spec_hash, run_id, metrics, failed, max_abs_diff, diffs,
               fresh, caches_read, note
        FROM ranked WHERE pick = 1
        ORDER BY dataset, dataset_hash
        """,
        args,
    ).df()
    df["failed"] = [[str(m) for m in v] if isinstance(v, list | tuple | np.ndarray) else [] for v in df["failed"]]
    df["diffs"] = [dict(v) if isinstance(v, dict) else {} for v in df["diffs"]]
    df["mode"] = [_mode(f, c) for f, c in zip(df["fresh"], df["caches_read"], strict=True)]
    for column in ("code_version", "run_id", "note"):  # SQL NULL is None here, never NaN
        df[column] = pd.Series([v if isinstance(v, str) else None for v in df[column]], index=df.index, dtype=object)
    return df


def _mode(fresh: object, caches_read: object) -> str:
    """How a check was made, for display: ``fresh``, ``cached (kind n, ...)``, ``no cache read`` or ``unknown``."""
    import json

    if isinstance(fresh, bool | np.bool_) and bool(fresh):
        return "fresh"
    if not isinstance(caches_read, str):
        return "unknown"
    reads = json.loads(caches_read)
    if not reads:
        return "no cache read"
    return "cached (" + ", ".join(f"{k} {n}" for k, n in sorted(reads.items())) + ")"


@dataclass(frozen=True)
class PublishedCheckRow:
    """One published number a reproduction compared with (:func:`bench.published.tables.check`)."""

    source: str
    source_ref: str
    row_name: str
    dataset: str
    split: str
    metric: str
    published: float
    observed: float | None
    decimals: int
    verdict: str


def insert_published_checks(
    con: duckdb.DuckDBPyConnection,
    *,
    reproduction_id: str,
    checked_at: datetime,
    model_name: str,
    spec_hash: str | None,
    dataset_hash: str,
    run_id: str | None,
    rows: Iterable[PublishedCheckRow],
) -> None:
    """Record the published-table checks of one reproduction (inside the caller's transaction)."""
    for r in rows:
        con.execute(
            """INSERT INTO reproduction_published (reproduction_id, checked_at, model_name, spec_hash, dataset_hash, run_id, source,
                                                   source_ref, row_name, dataset, split, metric, published, observed, decimals, verdict)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [reproduction_id, checked_at, model_name, spec_hash, dataset_hash, run_id, r.source, r.source_ref, r.row_name,
             r.dataset, r.split, r.metric, r.published, r.observed, r.decimals, r.verdict],
        )  # fmt: skip


def published_reproductions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest check of each model against each published (source, row, dataset, split), its overall verdict (the
    worst of its metrics) and the metrics compared: model, spec_hash, source, source_ref, row_name, dataset, split,
    verdict, metrics (``nDCG@10 0.6789 -> 0.6789``), checked_at, run_id. Ordered by model, source, row, dataset."""
    return con.execute(
        """
        WITH checks AS (
            SELECT reproduction_id, model_name AS model, any_value(spec_hash) AS spec_hash, source, any_value(source_ref) AS source_ref,
                   row_name, dataset, split, any_value(checked_at) AS checked_at, any_value(run_id) AS run_id,
                   CASE WHEN bool_or(verdict = 'FAIL') THEN 'FAIL' WHEN bool_or(verdict = 'OKish') THEN 'OKish' ELSE 'OK' END AS verdict,
                   string_agg(metric || ' ' || printf('%.' || decimals || 'f', published) || ' -> ' ||
                              coalesce(printf('%.' || (decimals + 2) || 'f', observed), 'none'), ', ' ORDER BY metric) AS metrics
            FROM reproduction_published
            GROUP BY reproduction_id, model_name, source, row_name, dataset, split
        )
        SELECT model, spec_hash, source, source_ref, row_name, dataset, split, verdict, metrics, checked_at, run_id FROM checks
        QUALIFY row_number() OVER (PARTITION BY model, source, row_name, dataset, split ORDER BY checked_at DESC, reproduction_id DESC) = 1
        ORDER BY model, source, row_name, dataset, split
        """
    ).df()
