"""Embedding-task results: the task identities, task runs (mteb's scores, per-item values, cost) — writes and reads.

A task run is keyed like a retrieval run: model name + spec hash (names owned, :func:`bench.store.models.claim_name`),
the task's content hash (split files + scoring rules), provenance derived by the writer. Written in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from bench.identity import Writer
from bench.store.db import transaction
from bench.store.models import VERSION_LABELS, ModelRow, claim_name


@dataclass(frozen=True)
class TaskRow:
    task_hash: str
    name: str
    type: str
    mteb_task: str | None
    origin: str
    main_score: str
    splits: Mapping[str, int]
    files_hash: str | None
    scoring: Mapping[str, Any]
    source: str


@dataclass(frozen=True)
class TaskRunRecord:
    run_id: str
    model: ModelRow
    task: TaskRow
    writer: Writer
    spec: Mapping[str, Any] | None
    spec_hash: str
    weights_hash: str | None
    environment: Mapping[str, Any]
    environment_hash: str
    code_version: str
    mteb_version: str
    started_at: datetime | None
    finished_at: datetime
    split: str
    main_score: float
    scores: Mapping[str, float]
    items: Mapping[str, Any] | None
    cost: Mapping[str, Any]
    mteb_result: Mapping[str, Any] | None
    source: str | None = None


def record_task_run(con: duckdb.DuckDBPyConnection, rec: TaskRunRecord) -> str:
    """Write ``rec`` in one transaction (name ownership checked inside it); returns its run id."""
    with transaction(con, f"recording task run {rec.run_id}"):
        insert_task_run(con, rec)
    return rec.run_id


def insert_task_run(con: duckdb.DuckDBPyConnection, rec: TaskRunRecord) -> None:
    """Inside the caller's transaction. Raises NameTaken (nothing written) when the name is not this writer's."""
    claim_name(con, rec.model, rec.spec_hash, rec.spec, rec.writer, rec.finished_at)
    t = rec.task
    con.execute(
        "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_hash) DO NOTHING",
        [t.task_hash, t.name, t.type, t.mteb_task, t.origin, t.main_score, json.dumps(dict(t.splits)), t.files_hash,
         json.dumps(dict(t.scoring), default=str), t.source, rec.finished_at],
    )  # fmt: skip
    con.execute(
        "INSERT INTO task_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            rec.run_id, rec.model.name, rec.spec_hash, t.task_hash, rec.split, rec.writer.provenance, float(rec.main_score),
            json.dumps(rec.spec, default=str) if rec.spec is not None else None, rec.weights_hash,
            json.dumps(dict(rec.environment), default=str), rec.environment_hash, rec.code_version, rec.mteb_version,
            rec.started_at, rec.finished_at, json.dumps(dict(rec.cost), default=str),
            json.dumps(rec.mteb_result, default=str) if rec.mteb_result is not None else None, rec.source,
        ],
    )  # fmt: skip
    if rec.scores:
        con.executemany("INSERT INTO task_scores VALUES (?, ?, ?)", [[rec.run_id, m, float(v)] for m, v in sorted(rec.scores.items())])
    if rec.items:
        con.execute("INSERT INTO task_items VALUES (?, ?)", [rec.run_id, json.dumps(dict(rec.items))])


# -- reads ----------------------------------------------------------------------------------------


def task_results(
    con: duckdb.DuckDBPyConnection,
    *,
    task_type: str | None = None,
    model: str | None = None,
    tasks: Sequence[str] = (),
    history: bool = False,
) -> pd.DataFrame:
    """Latest task run of each model version on each task (all with ``history``), newest first.

    Columns: run_id, model (version label), name, spec_hash, task, type, task_hash (12), mteb_task, origin, split,
    provenance, main_score, main_metric, mteb_version, texts_per_s, finished_at. ``tasks``: names or MTEB names.
    """
    where, args = [], []
    if task_type:
        where.append("lower(t.type) = lower(?)")
        args.append(task_type)
    if model:
        where.append("(r.model_name = ? OR v.label = ?)")
        args += [model, model]
    if tasks:
        where.append("(t.name IN (SELECT unnest(?::VARCHAR[])) OR t.mteb_task IN (SELECT unnest(?::VARCHAR[])))")
        args += [list(tasks), list(tasks)]
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    latest = (
        ""
        if history
        else "QUALIFY row_number() OVER (PARTITION BY r.model_name, r.spec_hash, r.task_hash ORDER BY r.finished_at DESC, r.run_id) = 1"
    )
    return con.execute(
        f"""
        WITH v AS ({VERSION_LABELS})
        SELECT r.run_id, v.label AS model, r.model_name AS name, r.spec_hash, t.name AS task, t.type, left(t.task_hash, 12) AS task_hash,
               t.task_hash AS task_hash_full, t.mteb_task, t.origin, r.split, r.provenance, r.main_score, t.main_score AS main_metric,
               r.mteb_version, TRY_CAST(json_extract(r.cost, '$.texts_per_s') AS DOUBLE) AS texts_per_s, r.finished_at
        FROM task_runs r JOIN tasks t USING (task_hash) JOIN v ON v.name = r.model_name AND v.spec_hash = r.spec_hash
        {clause}
        {latest}
        ORDER BY r.finished_at DESC, r.run_id
        """,
        args,
    ).df()


def task_scores(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, float]:
    return dict(con.execute("SELECT metric, value FROM task_scores WHERE run_id = ? ORDER BY metric", [run_id]).fetchall())


def task_items(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per-item values of each run that has them (imported results have none)."""
    if not run_ids:
        return {}
    rows = con.execute("SELECT run_id, items FROM task_items WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [list(run_ids)]).fetchall()
    return {rid: json.loads(items) for rid, items in rows}


def task_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    """One task run with its task (for export): every column, JSON columns parsed."""
    cur = con.execute(
        "SELECT r.*, t.name AS task_name, t.type, t.mteb_task, t.origin, t.main_score AS main_metric "
        "FROM task_runs r JOIN tasks t USING (task_hash) WHERE r.run_id = ?",
        [run_id],
    )
    row = cur.fetchone()
    if row is None:
        return None
    out = dict(zip([d[0] for d in cur.description], row, strict=True))
    for k in ("spec", "environment", "cost", "mteb_result"):
        if isinstance(out.get(k), str):
            out[k] = json.loads(out[k])
    return out
