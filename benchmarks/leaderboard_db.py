"""A synthetic results database at leaderboard scale, written with bulk SQL into the real schema.

``generate(path)`` makes 50 models x 20 datasets = 1,000 runs, 300 queries each, every canonical
metric per query (1.8M ``query_metrics`` rows) and the top 10 of every ranking (3M ``rankings``
rows; depth 10 instead of 1000 keeps the file small, and only the Compare page reads rankings).
Per-query values are deterministic pseudo-random numbers; each run's aggregate is their mean, as
``evaluate`` would record it.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.evaluation.measures import DEFAULT_MEASURES
from bench.provenance import code_version, environment, environment_hash
from bench.specs import FAMILIES
from bench.store.db import open_writer


def generate(path: Path, models: int = 50, datasets: int = 20, queries: int = 300, depth: int = 10) -> dict[str, int]:
    """Write the database at ``path`` (replacing it) and return its row counts."""
    path.unlink(missing_ok=True)
    env = environment()
    metrics = [str(m) for m in DEFAULT_MEASURES]
    with open_writer(path) as con:
        con.execute("BEGIN TRANSACTION")
        con.execute(
            """
            INSERT INTO datasets (dataset_hash, name, split, corpus_hash, documents, queries, judged_queries, qrels,
                                  drop_identical_ids, source, first_seen)
            SELECT sha256('synthetic-' || i), printf('synthetic-%02d', i), 'test', sha256('corpus-' || i),
                   10000 + 500 * i, ?, ?, 3 * ?, false, '/nonexistent/synthetic-' || i, now()::TIMESTAMP
            FROM range(?) t(i)
            """,
            [queries, queries, queries, datasets],
        )
        families = list(FAMILIES)
        con.execute(
            """
            INSERT INTO models (name, owner, owner_key, claimed_at)
            SELECT printf('model-%02d', i), CASE WHEN i % 7 = 6 THEN 'submission' ELSE 'reference' END,
                   CASE WHEN i % 7 = 6 THEN printf('submission-%02d', i) END, now()::TIMESTAMP
            FROM range(?) t(i)
            """,
            [models],
        )
        con.execute(
            """
            INSERT INTO model_versions (name, spec_hash, family, kind, hf_id, revision, parameters, dimension,
                                        training_datasets, metadata, spec, first_seen, current)
            SELECT printf('model-%02d', i), sha256('spec-' || i), (?)[1 + i % 5], CASE WHEN i % 7 = 6 THEN NULL ELSE 'synthetic' END,
                   'org/model-' || i, 'rev' || i, CASE WHEN i % 5 = 0 THEN 0 ELSE (i * 7919 % 1000) * 1000000 END,
                   CASE WHEN i % 5 = 0 THEN NULL ELSE 384 END,
                   CASE WHEN i % 4 = 0 THEN [printf('synthetic-%02d', i % ?)] ELSE [] END,
                   '{"description": "synthetic"}', '{"name": "synthetic"}', now()::TIMESTAMP, true
            FROM range(?) t(i)
            """,
            [families, datasets, models],
        )
        con.execute(
            """
            INSERT INTO runs (run_id, model_name, dataset_hash, provenance, status, spec, spec_hash, weights_hash, environment,
                              environment_hash, code_version, started_at, finished_at, wall_s, index_s, encode_s, search_s,
                              eval_s, cost, judged_queries, evaluated_queries)
            SELECT printf('run-%02d-%02d', m.i, d.i), printf('model-%02d', m.i), sha256('synthetic-' || d.i),
                   CASE WHEN m.i % 7 = 6 THEN 'self-reported' WHEN (m.i + d.i) % 9 = 0 THEN 'reproduced' ELSE 'reference' END,
                   'complete', '{"name": "synthetic"}', sha256('spec-' || m.i), sha256('weights-' || m.i), ?, ?, ?,
                   now()::TIMESTAMP, now()::TIMESTAMP, 10.0 + m.i, 5.0, 3.0 + m.i % 3, 1.0, 0.1,
                   json_object('index_bytes', 1000000 * (1 + m.i), 'query_latency_ms', 1.0 + (m.i * 37 % 100) / 10.0),
                   ?, ?
            FROM range(?) m(i), range(?) d(i)
            """,
            [json.dumps(env, default=str), environment_hash(env), code_version(), queries, queries, models, datasets],
        )
        con.execute(
            """
            INSERT INTO query_metrics (run_id, qid, metric, value)
            SELECT r.run_id, CAST(q.i + 1 AS VARCHAR), m.metric,
                   least(1.0, (hash(r.run_id, q.i, m.metric) % 1000) / 1000.0 * (0.6 + (hash(r.model_name) % 40) / 100.0))
            FROM runs r, range(?) q(i), (SELECT unnest(?) AS metric) m
            """,
            [queries, metrics],
        )
        con.execute(
            "INSERT INTO metrics (run_id, metric, value) SELECT run_id, metric, avg(value) FROM query_metrics GROUP BY run_id, metric"
        )
        con.execute(
            """
            INSERT INTO rankings (run_id, qid, rank, docid, score)
            SELECT r.run_id, CAST(q.i + 1 AS VARCHAR), k.i + 1, CAST(hash(r.dataset_hash, q.i, k.i) % 10000 AS VARCHAR), 100.0 - k.i
            FROM runs r, range(?) q(i), range(?) k(i)
            """,
            [queries, depth],
        )
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        tables = ("datasets", "models", "model_versions", "runs", "metrics", "query_metrics", "rankings")
        return {t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}  # type: ignore[index]
