"""Every SELECT against the results database lives here (the CLI and the leaderboard read only through it)."""

from __future__ import annotations

import duckdb
import pandas as pd

HEADLINE = ("nDCG@10", "R@100", "R@1000")


def results_table(con: duckdb.DuckDBPyConnection, dataset: str | None = None, model: str | None = None) -> pd.DataFrame:
    """One row per run: model, dataset, provenance, headline metrics, wall time (newest first)."""
    where, args = [], []
    if dataset:
        where.append("(d.name = ? OR d.dataset_hash = ?)")
        args += [dataset, dataset]
    if model:
        where.append("r.model_name = ?")
        args.append(model)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    pivot = ", ".join(f"max(CASE WHEN m.metric = '{name}' THEN m.value END) AS \"{name}\"" for name in HEADLINE)
    return con.execute(
        f"""
        SELECT r.run_id, r.model_name AS model, d.name AS dataset, d.split, left(d.dataset_hash, 12) AS dataset_hash,
               r.provenance, {pivot}, r.wall_s, r.index_s, r.search_s, r.finished_at
        FROM runs r JOIN datasets d USING (dataset_hash) LEFT JOIN metrics m USING (run_id)
        {clause}
        GROUP BY ALL
        ORDER BY r.finished_at DESC
        """,
        args,
    ).df()


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
    tables = ("datasets", "models", "runs", "metrics", "query_metrics", "rankings", "reproductions", "submissions", "submission_runs")
    return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}  # type: ignore[index]


def has_run(con: duckdb.DuckDBPyConnection, spec_hash: str, dataset_hash: str) -> bool:
    """Whether a run of this exact spec on this exact dataset content is already recorded."""
    row = con.execute("SELECT count(*) FROM runs WHERE spec_hash = ? AND dataset_hash = ?", [spec_hash, dataset_hash]).fetchone()
    return bool(row and row[0])


# --- issue 5: reads of reproductions and submissions live in bench/store/check_queries.py (its __all__), re-exported here
from bench.store.check_queries import *  # noqa: E402, F403

# --- issue 4: the leaderboard's reads live in bench/store/leaderboard_queries.py (its __all__), re-exported here
from bench.store.leaderboard_queries import *  # noqa: E402, F403
