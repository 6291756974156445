"""Reads for ``bench export``: the runs of one model version, their query metrics and ranked lists, as stored."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from bench.errors import StoreError
from bench.store.models import VERSION_LABELS


@dataclass(frozen=True)
class StoredRun:
    """The latest run of a model version on one dataset content, with what an export needs to name and vouch for it."""

    run_id: str
    label: str
    """The version label (``name`` or ``name@hash8``)."""
    model_name: str
    spec_hash: str
    family: str
    hf_id: str | None
    revision: str | None
    provenance: str
    dataset: str
    split: str
    dataset_hash: str
    finished_at: datetime
    wall_s: float | None
    code_version: str
    judged_queries: int | None
    answered_queries: int | None
    metrics: dict[str, float] = field(default_factory=dict)

    def provenance_record(self) -> dict[str, Any]:
        """What an exported file carries about where it came from (enough for an import to recognise it)."""
        return {
            "model": self.label,
            "model_name": self.model_name,
            "spec_hash": self.spec_hash,
            "provenance": self.provenance,
            "run_id": self.run_id,
            "dataset": self.dataset,
            "split": self.split,
            "dataset_hash": self.dataset_hash,
            "finished_at": self.finished_at.isoformat(),
            "code_version": self.code_version,
            "judged_queries": self.judged_queries,
            "answered_queries": self.answered_queries,
        }


def version_runs(con: duckdb.DuckDBPyConnection, model: str, datasets: Sequence[str] = ()) -> list[StoredRun]:
    """The latest run of the model version ``model`` (a name or a label ``name@hash8``) on each dataset it has.

    Args:
        con: a connection.
        model: the version label; a bare name is its current version.
        datasets: only these (a dataset name, or a prefix of a content hash of at least 6 characters); all when empty.

    Returns:
        One :class:`StoredRun` per dataset content, ordered by dataset name and split.

    Raises:
        StoreError: no such model version, or a dataset it has no run on (with the names it does have).
    """
    labels = [r[0] for r in con.execute(f"SELECT label FROM ({VERSION_LABELS})").fetchall()]
    if model not in labels:
        close = difflib.get_close_matches(model, labels, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "see `bench results` for the recorded models"
        raise StoreError(f"--model {model}: no model version of that name or label in this database; {hint}")
    df = con.execute(
        f"""
        WITH v AS ({VERSION_LABELS})
        SELECT r.run_id, v.label, r.model_name, r.spec_hash, mv.family, mv.hf_id, mv.revision, r.provenance,
               d.name AS dataset, d.split, r.dataset_hash, r.finished_at, r.wall_s, r.code_version,
               r.judged_queries, r.evaluated_queries
        FROM runs r JOIN v ON v.name = r.model_name AND v.spec_hash = r.spec_hash
        JOIN model_versions mv ON mv.name = r.model_name AND mv.spec_hash = r.spec_hash
        JOIN datasets d USING (dataset_hash)
        WHERE v.label = ? AND r.provenance <> 'pending'
        QUALIFY row_number() OVER (PARTITION BY r.dataset_hash ORDER BY r.finished_at DESC, r.run_id) = 1
        ORDER BY d.name, d.split, r.dataset_hash
        """,
        [model],
    ).fetchall()
    runs = [
        StoredRun(
            run_id=row[0],
            label=row[1],
            model_name=row[2],
            spec_hash=row[3],
            family=row[4],
            hf_id=row[5],
            revision=row[6],
            provenance=row[7],
            dataset=row[8],
            split=row[9],
            dataset_hash=row[10],
            finished_at=row[11],
            wall_s=row[12],
            code_version=row[13],
            judged_queries=row[14],
            answered_queries=row[15],
            metrics=dict(con.execute("SELECT metric, value FROM metrics WHERE run_id = ? ORDER BY metric", [row[0]]).fetchall()),
        )
        for row in df
    ]
    if not datasets:
        if not runs:
            raise StoreError(f"--model {model}: no public run recorded for this version; run it first (`bench run`)")
        return runs
    picked: list[StoredRun] = []
    for want in datasets:
        hits = [r for r in runs if r.dataset == want or (len(want) >= 6 and r.dataset_hash.startswith(want))]
        if not hits:
            have = ", ".join(sorted({r.dataset for r in runs})) or "none"
            raise StoreError(f"-d {want}: {model} has no run on this dataset (it has: {have}); pick one of those or run it first")
        picked += [r for r in hits if r not in picked]
    return picked


def run_rankings(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The stored ranked lists of ``run_id``: columns qid, rank, docid, score, ordered by qid then rank."""
    return con.execute("SELECT qid, rank, docid, score FROM rankings WHERE run_id = ? ORDER BY qid, rank", [run_id]).df()


def run_query_metrics(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    """The stored per-query values of ``run_id`` (every judged query, trec_eval -c): columns qid, metric, value."""
    return con.execute("SELECT qid, metric, value FROM query_metrics WHERE run_id = ? ORDER BY qid, metric", [run_id]).df()
