"""Numbered schema migrations, applied in order and recorded in ``_migrations``.

Add a migration by appending a function decorated with ``@migration`` — never edit one that shipped.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []


def migration(fn: Migration) -> Migration:
    number = len(MIGRATIONS) + 1
    MIGRATIONS.append((number, fn.__name__, fn))
    return fn


@migration
def m001_initial(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE datasets (
            dataset_hash VARCHAR PRIMARY KEY,      -- sha256 over corpus, queries, qrels/<split>
            name VARCHAR NOT NULL,
            split VARCHAR NOT NULL,
            corpus_hash VARCHAR NOT NULL,
            documents INTEGER,
            queries INTEGER,
            judged_queries INTEGER,
            qrels INTEGER,
            drop_identical_ids BOOLEAN NOT NULL,
            source VARCHAR,                        -- where it was read from (path)
            first_seen TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE models (
            name VARCHAR PRIMARY KEY,
            family VARCHAR NOT NULL,               -- lexical | learned-sparse | dense | reasoning | soft-label
            kind VARCHAR,                          -- runner kind; NULL for self-reported submissions
            provenance VARCHAR NOT NULL,           -- reference | self-reported
            hf_id VARCHAR,
            revision VARCHAR,
            parameters BIGINT,
            dimension INTEGER,
            training_datasets VARCHAR[],
            metadata JSON,                         -- licence, links, contact, description, training card...
            updated_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            model_name VARCHAR NOT NULL,
            dataset_hash VARCHAR NOT NULL,
            provenance VARCHAR NOT NULL,           -- reference | reproduced | self-reported | pending
            status VARCHAR NOT NULL,               -- complete (a run is written whole or not at all)
            spec JSON,
            spec_hash VARCHAR,
            weights_hash VARCHAR,
            environment JSON NOT NULL,
            environment_hash VARCHAR NOT NULL,
            code_version VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP NOT NULL,
            wall_s DOUBLE,
            index_s DOUBLE,
            encode_s DOUBLE,
            search_s DOUBLE,
            eval_s DOUBLE,
            cost JSON,                             -- index bytes, docs/s, query latency, thinking tokens...
            judged_queries INTEGER,
            evaluated_queries INTEGER
        )
        """
    )
    con.execute(
        """
        CREATE TABLE metrics (
            run_id VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE NOT NULL,
            PRIMARY KEY (run_id, metric)
        )
        """
    )
    con.execute(
        """
        CREATE TABLE query_metrics (
            run_id VARCHAR NOT NULL,
            qid VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE rankings (
            run_id VARCHAR NOT NULL,
            qid VARCHAR NOT NULL,
            rank INTEGER NOT NULL,
            docid VARCHAR NOT NULL,
            score DOUBLE NOT NULL
        )
        """
    )
    con.execute("CREATE INDEX runs_dataset ON runs(dataset_hash)")
    con.execute("CREATE INDEX query_metrics_run ON query_metrics(run_id)")
    con.execute("CREATE INDEX rankings_run ON rankings(run_id)")


# --- issue 5: reproducibility checks and submissions
@migration
def m002_reproductions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE reproductions (
            reproduction_id VARCHAR NOT NULL,      -- one check of one spec on one dataset content
            checked_at TIMESTAMP NOT NULL,
            model_name VARCHAR NOT NULL,
            source VARCHAR NOT NULL,               -- models/<name>.yaml or submissions/<id>/
            spec_hash VARCHAR,
            dataset_hash VARCHAR NOT NULL,
            dataset_name VARCHAR NOT NULL,
            run_id VARCHAR,                        -- the run it vouches for; NULL when it failed (a drifted run is not published)
            metric VARCHAR NOT NULL,
            expected DOUBLE NOT NULL,
            observed DOUBLE,
            diff DOUBLE,                           -- observed - expected
            tolerance DOUBLE NOT NULL,
            verdict VARCHAR NOT NULL,              -- OK | OKish | FAIL
            PRIMARY KEY (reproduction_id, metric)
        )
        """
    )


@migration
def m003_submissions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE submissions (
            submission_id VARCHAR PRIMARY KEY,     -- the submission folder's (sanitised) name
            model_name VARCHAR NOT NULL,
            status VARCHAR NOT NULL,               -- pending | self-reported | reproduced
            source VARCHAR NOT NULL,               -- folder it was ingested from
            metadata JSON NOT NULL,                -- submission.yaml as validated
            spec JSON,                             -- its optional spec (models/*.yaml schema)
            received_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE submission_runs (
            submission_id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            dataset_hash VARCHAR NOT NULL,
            file VARCHAR NOT NULL,                 -- path inside the submission folder
            file_sha256 VARCHAR NOT NULL,
            coverage DOUBLE NOT NULL,              -- judged queries answered / judged queries
            PRIMARY KEY (submission_id, run_id)
        )
        """
    )
