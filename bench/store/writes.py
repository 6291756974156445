"""The one write path: a run, its evaluation and its ranked lists, recorded in one transaction.

A run that fails or is killed before ``COMMIT`` leaves nothing behind (DuckDB rolls back an open
transaction on crash, and ``record_run`` rolls back on any exception).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from bench.errors import StoreError
from bench.evaluation.evaluate import EvalResult
from bench.store.db import transaction
from bench.types import Run, Timings

PROVENANCES = ("reference", "reproduced", "self-reported", "pending")


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
class ModelRow:
    name: str
    family: str
    kind: str | None
    provenance: str = "reference"
    hf_id: str | None = None
    revision: str | None = None
    parameters: int | None = None
    dimension: int | None = None
    training_datasets: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    """Everything about one run that goes into the database."""

    run_id: str
    model: ModelRow
    dataset: DatasetRow
    provenance: str
    spec: Mapping[str, Any] | None
    spec_hash: str | None
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


def upsert_model(con: duckdb.DuckDBPyConnection, m: ModelRow, now: datetime) -> None:
    con.execute(
        """INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET family = excluded.family, kind = excluded.kind,
             provenance = excluded.provenance, hf_id = excluded.hf_id, revision = excluded.revision,
             parameters = excluded.parameters, dimension = excluded.dimension,
             training_datasets = excluded.training_datasets, metadata = excluded.metadata,
             updated_at = excluded.updated_at""",
        [
            m.name,
            m.family,
            m.kind,
            m.provenance,
            m.hf_id,
            m.revision,
            m.parameters,
            m.dimension,
            list(m.training_datasets),
            json.dumps(dict(m.metadata), default=str),
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
    """Insert ``rec`` inside the caller's open transaction (several runs, one commit); returns its run id."""
    if rec.provenance not in PROVENANCES:
        raise StoreError(f"provenance '{rec.provenance}' is not one of {', '.join(PROVENANCES)}")
    metrics, query_metrics, rankings = _frames(rec)
    t = rec.timings
    try:
        _upsert_dataset(con, rec.dataset, rec.finished_at)
        upsert_model(con, rec.model, rec.finished_at)
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
    finally:
        for name in ("_metrics", "_query_metrics", "_rankings"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
    return rec.run_id
