"""Runs: the models and datasets they belong to, their metrics and ranked lists — the one write path and its reads.

A run, its evaluation and its ranked lists are recorded in one transaction.

A run that fails or is killed before ``COMMIT`` leaves nothing behind (DuckDB rolls back an open
transaction on crash, and ``record_run`` rolls back on any exception).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from bench.errors import StoreError
from bench.evaluation.evaluate import EvalResult
from bench.evaluation.measures import HEADLINE
from bench.identity import Writer
from bench.store.db import transaction
from bench.store.models import VERSION_LABELS, ModelRow, claim_name
from bench.store.thoughts import insert_thoughts
from bench.types import Run, Thought, Timings


@dataclass(frozen=True)
class DatasetRow:
    dataset_hash: str
    name: str
    split: str
    corpus_hash: str
    documents: int
    queries: int
    judged_queries: int
    qrels: int
    drop_identical_ids: bool
    source: str


@dataclass(frozen=True)
class RunRecord:
    """Everything about one run that goes into the database.

    ``spec_hash`` is the model version's identity (a spec's hash, or :func:`bench.identity.synthetic_identity`);
    ``writer`` says who writes it (its provenance and the owner its model name must belong to).
    """

    run_id: str
    model: ModelRow
    dataset: DatasetRow
    writer: Writer
    spec: Mapping[str, Any] | None
    spec_hash: str
    weights_hash: str | None
    environment: Mapping[str, Any]
    environment_hash: str
    code_version: str
    started_at: datetime
    finished_at: datetime
    timings: Timings
    cost: Mapping[str, Any]
    evaluation: EvalResult
    run: Run
    thoughts: tuple[Thought, ...] = ()
    """A reasoning run's thoughts (:mod:`bench.store.thoughts`), written in the run's transaction."""

    @property
    def provenance(self) -> str:
        return self.writer.provenance


def _upsert_dataset(con: duckdb.DuckDBPyConnection, d: DatasetRow, now: datetime) -> None:
    con.execute(
        """INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (dataset_hash) DO NOTHING""",
        [
            d.dataset_hash,
            d.name,
            d.split,
            d.corpus_hash,
            d.documents,
            d.queries,
            d.judged_queries,
            d.qrels,
            d.drop_identical_ids,
            d.source,
            now,
        ],
    )


def _frames(rec: RunRecord) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    metrics = pd.DataFrame(
        {"run_id": rec.run_id, "metric": list(rec.evaluation.aggregate), "value": list(rec.evaluation.aggregate.values())}
    )
    qm = [(rec.run_id, qid, m, v) for qid, vals in rec.evaluation.per_query.items() for m, v in vals.items()]
    query_metrics = pd.DataFrame(qm, columns=["run_id", "qid", "metric", "value"])
    rows = [
        (rec.run_id, qid, rank, docid, float(score))
        for qid, docs in rec.run.results.items()
        for rank, (docid, score) in enumerate(docs[:1000], start=1)
    ]
    rankings = pd.DataFrame(rows, columns=["run_id", "qid", "rank", "docid", "score"])
    return metrics, query_metrics, rankings


def record_run(con: duckdb.DuckDBPyConnection, rec: RunRecord) -> str:
    """Write ``rec`` in a single transaction; returns its run id."""
    with transaction(con, f"recording run {rec.run_id}"):
        insert_run(con, rec)
    return rec.run_id


def insert_run(con: duckdb.DuckDBPyConnection, rec: RunRecord) -> str:
    """Insert ``rec`` inside the caller's open transaction (several runs, one commit); returns its run id.

    Raises:
        NameTaken: the model name belongs to another owner, spec or submission (nothing is written).
    """
    if not rec.spec_hash:
        raise StoreError(f"run {rec.run_id}: no identity hash; every run is recorded with its spec hash (or a synthetic identity)")
    metrics, query_metrics, rankings = _frames(rec)
    t = rec.timings
    claim_name(con, rec.model, rec.spec_hash, rec.spec, rec.writer, rec.finished_at)
    try:
        _upsert_dataset(con, rec.dataset, rec.finished_at)
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, 'complete', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rec.run_id,
                rec.model.name,
                rec.dataset.dataset_hash,
                rec.provenance,
                json.dumps(rec.spec, default=str) if rec.spec is not None else None,
                rec.spec_hash,
                rec.weights_hash,
                json.dumps(dict(rec.environment), default=str),
                rec.environment_hash,
                rec.code_version,
                rec.started_at,
                rec.finished_at,
                t.total_s,
                t.index_s,
                t.encode_s,
                t.search_s,
                t.eval_s,
                json.dumps(dict(rec.cost), default=str),
                rec.evaluation.judged_queries,
                rec.evaluation.evaluated_queries,
            ],
        )
        con.register("_metrics", metrics)
        con.register("_query_metrics", query_metrics)
        con.register("_rankings", rankings)
        con.execute("INSERT INTO metrics SELECT * FROM _metrics")
        con.execute("INSERT INTO query_metrics SELECT * FROM _query_metrics")
        con.execute("INSERT INTO rankings SELECT * FROM _rankings")
        insert_thoughts(con, rec.run_id, rec.thoughts)
    finally:
        for name in ("_metrics", "_query_metrics", "_rankings"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
    return rec.run_id


# -- reads ----------------------------------------------------------------------------------------


def results_table(
    con: duckdb.DuckDBPyConnection,
    dataset: str | None = None,
    model: str | None = None,
    history: bool = False,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Recorded runs, newest first: by default the latest run of each model version on each dataset, all with ``history``.

    Columns: run_id, model (version label), spec_hash, dataset, split, dataset_hash (full), provenance, one column per
    metric of ``metrics`` (default: the headline ones; trec_eval -c means, None where a run lacks it), answered, judged,
    coverage, verdict (latest reproduction of that version on that dataset: OK / OKish / FAIL, or None), wall_s,
    index_s, search_s, finished_at. ``model`` matches a name or a label.
    """
    where, args = [], []
    if dataset:
        where.append("(d.name = ? OR d.dataset_hash = ?)")
        args += [dataset, dataset]
    if model:
        where.append("(r.model_name = ? OR v.label = ?)")
        args += [model, model]
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    names = list(metrics) if metrics else list(HEADLINE)
    pivot = ", ".join(f"max(CASE WHEN m.metric = ? THEN m.value END) AS {_identifier(name)}" for name in names)
    args += names  # the pivot's placeholders come after the WHERE clause's in the statement
    latest = (
        ""
        if history
        else "QUALIFY row_number() OVER (PARTITION BY r.model_name, r.spec_hash, r.dataset_hash ORDER BY r.finished_at DESC, r.run_id) = 1"
    )
    return con.execute(
        f"""
        WITH v AS ({VERSION_LABELS}),
        each AS (
            SELECT model_name, spec_hash, dataset_hash, reproduction_id, max(checked_at) AS checked_at,
                   CASE WHEN bool_or(verdict = 'FAIL') THEN 'FAIL' WHEN bool_or(verdict = 'OKish') THEN 'OKish' ELSE 'OK' END AS verdict
            FROM reproductions GROUP BY model_name, spec_hash, dataset_hash, reproduction_id
        ),
        checks AS (
            SELECT * FROM each
            QUALIFY row_number() OVER (PARTITION BY model_name, spec_hash, dataset_hash ORDER BY checked_at DESC, reproduction_id) = 1
        ),
        picked AS (
            SELECT r.*, v.label FROM runs r JOIN v ON v.name = r.model_name AND v.spec_hash = r.spec_hash
            JOIN datasets d USING (dataset_hash)
            {clause}
            {latest}
        )
        SELECT r.run_id, r.label AS model, r.spec_hash, d.name AS dataset, d.split, d.dataset_hash,
               r.provenance, {pivot}, r.evaluated_queries AS answered, r.judged_queries AS judged,
               CASE WHEN r.judged_queries > 0 THEN r.evaluated_queries / r.judged_queries END AS coverage,
               c.verdict, r.wall_s, r.index_s, r.search_s, r.finished_at
        FROM picked r JOIN datasets d USING (dataset_hash) LEFT JOIN metrics m USING (run_id)
        LEFT JOIN checks c ON c.model_name = r.model_name AND c.spec_hash = r.spec_hash AND c.dataset_hash = r.dataset_hash
        GROUP BY ALL
        ORDER BY r.finished_at DESC, r.run_id
        """,
        args,
    ).df()


def _identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (a metric name becomes a column name)."""
    return '"' + name.replace('"', '""') + '"'


def run_metrics(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, float]:
    return dict(con.execute("SELECT metric, value FROM metrics WHERE run_id = ? ORDER BY metric", [run_id]).fetchall())


def query_metrics(con: duckdb.DuckDBPyConnection, run_id: str, metric: str) -> dict[str, float]:
    rows = con.execute("SELECT qid, value FROM query_metrics WHERE run_id = ? AND metric = ?", [run_id, metric]).fetchall()
    return dict(rows)


def ranking(con: duckdb.DuckDBPyConnection, run_id: str, qid: str, depth: int = 1000) -> list[tuple[str, float]]:
    rows = con.execute(
        "SELECT docid, score FROM rankings WHERE run_id = ? AND qid = ? AND rank <= ? ORDER BY rank", [run_id, qid, depth]
    ).fetchall()
    return [(d, float(s)) for d, s in rows]


def count_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts per table (used to prove that failed writes leave nothing behind)."""
    tables = (
        "datasets",
        "models",
        "model_versions",
        "runs",
        "metrics",
        "query_metrics",
        "rankings",
        "reproductions",
        "submissions",
        "submission_runs",
    )
    return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}  # type: ignore[index]


def has_run(con: duckdb.DuckDBPyConnection, spec_hash: str, dataset_hash: str) -> bool:
    """Whether a run of this exact spec on this exact dataset content is already recorded."""
    row = con.execute("SELECT count(*) FROM runs WHERE spec_hash = ? AND dataset_hash = ?", [spec_hash, dataset_hash]).fetchone()
    return bool(row and row[0])
