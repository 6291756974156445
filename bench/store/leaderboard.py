"""The leaderboard's reads: the Streamlit app reads the database through this module only.

Only public results are ever returned: runs whose provenance is ``pending`` (a submission not yet
validated) are invisible here. Where a model has several runs on the same dataset content, the
leaderboard shows one *representative* run: runs made here (``reference`` or ``reproduced``) before
``self-reported`` ones, then the newest. The full history stays visible on the model page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb
import pandas as pd

from bench.store.models import VERSION_LABELS

__all__ = [
    "PUBLIC_PROVENANCES",
    "leaderboard_cells",
    "leaderboard_datasets",
    "leaderboard_drift",
    "leaderboard_metrics",
    "leaderboard_model_runs",
    "leaderboard_models",
    "leaderboard_published",
    "leaderboard_published_checks",
    "leaderboard_query_values",
    "leaderboard_run",
    "leaderboard_top_documents",
    "leaderboard_verdicts",
]

PUBLIC_PROVENANCES: tuple[str, ...] = ("reference", "reproduced", "self-reported", "local", "imported")
"""Provenance values shown (``pending`` never is); each result carries its provenance as a badge. ``imported`` results
(``bench import mteb``) are aggregates only: no per-query values (never in a paired test), no rankings, no spec (never
reproduced), on a dataset identity of their own (see :mod:`bench.store.imports`)."""

_PICK_ORDER = "CASE r.provenance WHEN 'reproduced' THEN 0 WHEN 'reference' THEN 1 WHEN 'self-reported' THEN 2 ELSE 3 END"
"""Which run represents a (model version, dataset) cell: runs made here first, then the newest."""


def _provenances(provenances: Iterable[str] | None) -> list[str]:
    chosen = [p for p in (provenances if provenances is not None else PUBLIC_PROVENANCES) if p in PUBLIC_PROVENANCES]
    return chosen or ["<none>"]


def _in(values: Sequence[Any]) -> str:
    return "(" + ", ".join("?" for _ in values) + ")"


def leaderboard_metrics(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Metric names recorded for public runs."""
    rows = con.execute(
        f"SELECT DISTINCT m.metric FROM metrics m JOIN runs r USING (run_id) WHERE r.provenance IN {_in(PUBLIC_PROVENANCES)}",
        list(PUBLIC_PROVENANCES),
    ).fetchall()
    return sorted(r[0] for r in rows)


def leaderboard_models(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Model versions with at least one public run: name (the version label), model_name, spec_hash, family, kind,
    provenance (the best of its public runs), hf_id, revision, parameters, dimension, training_datasets (list),
    metadata (dict), runs (count of public runs)."""
    df = con.execute(
        f"""
        WITH v AS ({VERSION_LABELS})
        SELECT v.label AS name, m.name AS model_name, m.spec_hash, m.family, m.kind,
               arg_min(r.provenance, {_PICK_ORDER}) AS provenance, m.hf_id, m.revision, m.parameters, m.dimension,
               m.training_datasets, m.metadata, count(*) AS runs
        FROM model_versions m JOIN v USING (name, spec_hash)
        JOIN runs r ON r.model_name = m.name AND r.spec_hash = m.spec_hash
        WHERE r.provenance IN {_in(PUBLIC_PROVENANCES)}
        GROUP BY ALL
        ORDER BY v.label
        """,
        list(PUBLIC_PROVENANCES),
    ).df()
    df["training_datasets"] = [list(v) if v is not None else [] for v in df["training_datasets"]]
    df["metadata"] = [_json(v) for v in df["metadata"]]
    df["parameters"] = df["parameters"].astype("Float64")
    return df


def leaderboard_datasets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Dataset contents with at least one public run (one row per content hash), with their card fields."""
    return con.execute(
        f"""
        SELECT d.dataset_hash, d.name, d.split, d.corpus_hash, d.documents, d.queries, d.judged_queries, d.qrels,
               d.drop_identical_ids, d.source, d.first_seen, count(*) AS runs
        FROM datasets d JOIN runs r USING (dataset_hash)
        WHERE r.provenance IN {_in(PUBLIC_PROVENANCES)}
        GROUP BY ALL
        ORDER BY d.name, d.split, d.dataset_hash
        """,
        list(PUBLIC_PROVENANCES),
    ).df()


def leaderboard_cells(
    con: duckdb.DuckDBPyConnection,
    metric: str,
    provenances: Iterable[str] | None = None,
    dataset_hash: str | None = None,
) -> pd.DataFrame:
    """The representative run of each (model version, dataset content) and its value of ``metric``.

    Args:
        con: a (read-only) connection.
        metric: canonical metric name, e.g. ``nDCG@10``.
        provenances: run provenances to consider (default: all public ones; ``pending`` is always excluded).
        dataset_hash: only this dataset content.

    Returns:
        Columns model (version label), model_name, spec_hash, dataset_hash, run_id, provenance, finished_at, value
        (a trec_eval -c mean; NaN when the run lacks the metric), evaluated_queries (= answered_queries),
        judged_queries, coverage (answered / judged) — these four as floats, NaN for imported runs (aggregates only) —,
        environment_hash, wall_s, index_s, encode_s, search_s, cost (dict).
    """
    provs = _provenances(provenances)
    args: list[Any] = list(provs)
    where = ""
    if dataset_hash is not None:
        where = "AND r.dataset_hash = ?"
        args.append(dataset_hash)
    args.append(metric)
    df = con.execute(
        f"""
        WITH v AS ({VERSION_LABELS}),
        ranked AS (
            SELECT r.*, v.label, row_number() OVER (
                PARTITION BY r.model_name, r.spec_hash, r.dataset_hash
                ORDER BY {_PICK_ORDER}, r.finished_at DESC, r.run_id
            ) AS pick
            FROM runs r JOIN v ON v.name = r.model_name AND v.spec_hash = r.spec_hash
            WHERE r.status = 'complete' AND r.provenance IN {_in(provs)} {where}
        )
        SELECT k.label AS model, k.model_name, k.spec_hash, k.dataset_hash, k.run_id, k.provenance, k.finished_at, m.value,
               k.evaluated_queries, k.evaluated_queries AS answered_queries, k.judged_queries,
               CASE WHEN k.judged_queries > 0 THEN k.evaluated_queries / k.judged_queries END AS coverage,
               k.environment_hash, k.wall_s, k.index_s, k.encode_s, k.search_s, k.cost
        FROM ranked k LEFT JOIN metrics m ON m.run_id = k.run_id AND m.metric = ?
        WHERE k.pick = 1
        ORDER BY k.label, k.dataset_hash
        """,
        args,
    ).df()
    df["cost"] = [_json(v) for v in df["cost"]]
    df["value"] = df["value"].astype(float)
    for col in ("evaluated_queries", "answered_queries", "judged_queries", "coverage"):  # NaN where a run says none (imported)
        df[col] = df[col].astype(float)
    return df


def leaderboard_query_values(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str], metric: str) -> pd.DataFrame:
    """Per-query values of ``metric`` for ``run_ids``: columns run_id, qid, value."""
    if not run_ids:
        return pd.DataFrame({"run_id": pd.Series(dtype=str), "qid": pd.Series(dtype=str), "value": pd.Series(dtype=float)})
    return con.execute(
        f"""
        SELECT q.run_id, q.qid, q.value FROM query_metrics q JOIN runs r USING (run_id)
        WHERE q.run_id IN {_in(run_ids)} AND q.metric = ? AND r.provenance IN {_in(PUBLIC_PROVENANCES)}
        ORDER BY q.run_id, q.qid
        """,
        [*run_ids, metric, *PUBLIC_PROVENANCES],
    ).df()


def leaderboard_model_runs(con: duckdb.DuckDBPyConnection, model: str) -> pd.DataFrame:
    """Every public run of the model version labelled ``model``, newest first, with its headline metrics.

    Columns: run_id, dataset_hash, dataset, split, provenance, started_at, finished_at, spec_hash, weights_hash,
    environment_hash, code_version, wall_s, index_s, encode_s, search_s, eval_s, evaluated_queries, judged_queries,
    cost (dict), metrics (dict metric -> value).
    """
    df = con.execute(
        f"""
        SELECT r.run_id, r.dataset_hash, d.name AS dataset, d.split, r.provenance, r.started_at, r.finished_at,
               r.spec_hash, r.weights_hash, r.environment_hash, r.code_version, r.wall_s, r.index_s, r.encode_s,
               r.search_s, r.eval_s, r.evaluated_queries, r.judged_queries, r.cost,
               (SELECT map(list(m.metric ORDER BY m.metric), list(m.value ORDER BY m.metric))
                FROM metrics m WHERE m.run_id = r.run_id) AS metrics
        FROM runs r JOIN datasets d USING (dataset_hash) JOIN ({VERSION_LABELS}) v ON v.name = r.model_name AND v.spec_hash = r.spec_hash
        WHERE v.label = ? AND r.provenance IN {_in(PUBLIC_PROVENANCES)}
        ORDER BY r.finished_at DESC, r.run_id
        """,
        [model, *PUBLIC_PROVENANCES],
    ).df()
    df["cost"] = [_json(v) for v in df["cost"]]
    df["metrics"] = [dict(v) if v is not None else {} for v in df["metrics"]]
    return df


def leaderboard_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    """One public run's full record (spec, environment and cost parsed from JSON), or None."""
    cur = con.execute(
        f"SELECT * FROM runs WHERE run_id = ? AND provenance IN {_in(PUBLIC_PROVENANCES)}",
        [run_id, *PUBLIC_PROVENANCES],
    )
    row = cur.fetchone()
    if row is None:
        return None
    rec = dict(zip([c[0] for c in cur.description], row, strict=True))
    for key in ("spec", "environment", "cost"):
        rec[key] = _json(rec[key])
    return rec


def leaderboard_top_documents(con: duckdb.DuckDBPyConnection, run_id: str, qids: Sequence[str], depth: int = 10) -> pd.DataFrame:
    """The top ``depth`` documents of a public run for ``qids``: columns qid, rank, docid, score."""
    if not qids:
        return pd.DataFrame({"qid": [], "rank": [], "docid": [], "score": []})
    return con.execute(
        f"""
        SELECT k.qid, k.rank, k.docid, k.score FROM rankings k JOIN runs r USING (run_id)
        WHERE k.run_id = ? AND k.qid IN {_in(qids)} AND k.rank <= ? AND r.provenance IN {_in(PUBLIC_PROVENANCES)}
        ORDER BY k.qid, k.rank
        """,
        [run_id, *qids, depth, *PUBLIC_PROVENANCES],
    ).df()


def leaderboard_drift(con: duckdb.DuckDBPyConnection, run_a: str, run_b: str, k: int = 10) -> Any:
    """Drift of public run B against public run A (:func:`bench.store.drift.run_drift`: cosines of their cached corpus
    vectors on this machine, agreement of their top-``k`` lists), or None when either run is not public."""
    from bench.store.drift import run_drift

    row = con.execute(
        f"SELECT count(*) FROM runs WHERE run_id IN (?, ?) AND provenance IN {_in(PUBLIC_PROVENANCES)}", [run_a, run_b, *PUBLIC_PROVENANCES]
    ).fetchone()
    if not row or row[0] < 2:
        return None
    return run_drift(con, run_a, run_b, k)


def leaderboard_verdicts(con: duckdb.DuckDBPyConnection, model: str, spec_hash: str) -> pd.DataFrame:
    """The latest ``bench reproduce`` check per dataset content of one public model version (``model``: its name).

    Columns as :func:`bench.store.reproductions.latest_verdicts`; empty when the version has no public run (a check of
    a version nobody may see is not shown either).
    """
    from bench.store.reproductions import latest_verdicts

    verdicts = latest_verdicts(con, model, spec_hash)
    public = con.execute(
        f"SELECT count(*) FROM runs WHERE model_name = ? AND spec_hash = ? AND provenance IN {_in(PUBLIC_PROVENANCES)}",
        [model, spec_hash, *PUBLIC_PROVENANCES],
    ).fetchone()
    return verdicts if public and public[0] else verdicts.iloc[0:0]


def _json(value: Any) -> dict[str, Any]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


# -- embedding tasks (bench.store.tasks) ---------------------------------------------------------------


def leaderboard_tasks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Latest task run of every model version on every task, measured and imported (the Tasks page splits them)."""
    from bench.store.tasks import task_results

    return task_results(con)


def leaderboard_task_items(con: duckdb.DuckDBPyConnection, run_ids: tuple[str, ...]) -> dict[str, dict]:
    """Per-item values of measured task runs (for rank intervals and paired tests)."""
    from bench.store.tasks import task_items

    return task_items(con, list(run_ids))


# -- suites, published reference tables and reproductions of them -----------------------------------------------------


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def _public_models(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        f"SELECT DISTINCT model_name FROM runs WHERE provenance IN {_in(PUBLIC_PROVENANCES)}", list(PUBLIC_PROVENANCES)
    ).fetchall()
    return {r[0] for r in rows}


_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/()]+/)+[^\s/()]*")


def _no_paths(text: str) -> str:
    """A note for a public page: every absolute path cut to its last part (a page never shows the server's file system)."""
    return _PATH.sub(lambda m: m.group().rstrip("/").rsplit("/", 1)[-1] or "/", text)


def leaderboard_published(con: duckdb.DuckDBPyConnection, metric: str) -> pd.DataFrame:
    """Published reference numbers of one metric (``published_scores``): source, row_name, dataset, split, value, decimals,
    source_ref, loaded_at. Their own rows: never joined into runs, means, tests, ranks or Borda counts."""
    cols = ["source", "row_name", "dataset", "split", "value", "decimals", "source_ref", "loaded_at"]
    if not _has_table(con, "published_scores"):
        return pd.DataFrame(columns=cols)
    return con.execute(f"SELECT {', '.join(cols)} FROM published_scores WHERE metric = ? ORDER BY source, row_name, dataset", [metric]).df()


def leaderboard_published_checks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest recorded check of each public model against each published row
    (:func:`bench.store.reproductions.published_reproductions`)."""
    from bench.store.reproductions import published_reproductions

    if not _has_table(con, "reproduction_published"):
        return pd.DataFrame(columns=["model", "spec_hash", "source", "source_ref", "row_name", "dataset", "split", "verdict", "metrics"])
    df = published_reproductions(con)
    return df[df["model"].isin(_public_models(con))].reset_index(drop=True)
