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


# --- issue 8: identity and provenance
@migration
def m004_identity(con: duckdb.DuckDBPyConnection) -> None:
    """Model versions keyed by (name, spec hash), owned names, derived provenance, trec_eval -c aggregates.

    * every run gets an identity hash: its spec's hash, or one synthesised from name, family and origin
      (``bench.identity.synthetic_identity``) for runs without a spec;
    * ``models`` becomes the name-ownership table (owner: reference | local | submission | imported) and
      ``model_versions`` holds each version's card and spec;
    * runs recorded by ``bench eval --record`` (self-reported without a submission) become ``local``;
    * aggregates of runs that did not answer every judged query are rescaled to ``trec_eval -c`` (an unanswered
      judged query counts 0: mean over answered x answered / judged, exact for means), and their per-query rows get
      zeros for the judged queries that a complete run on the same data shows;
    * a dataset scored with identical ids dropped gets its identity hash (``bench.provenance.scoring_identity``);
    * reproductions record the code version that checked them.
    """
    from bench.identity import reference_names, reference_spec_hashes, synthetic_identity
    from bench.provenance import scoring_identity

    # runs.spec_hash stays nullable in the schema (DuckDB cannot add NOT NULL after updates in one transaction):
    # bench.store.runs.insert_run refuses a run without an identity

    con.execute(
        """
        CREATE TABLE model_versions (
            name VARCHAR NOT NULL,
            spec_hash VARCHAR NOT NULL,            -- ModelSpec.spec_hash, or bench.identity.synthetic_identity(...)
            family VARCHAR NOT NULL,
            kind VARCHAR,
            hf_id VARCHAR,
            revision VARCHAR,
            parameters BIGINT,
            dimension INTEGER,
            training_datasets VARCHAR[],
            metadata JSON,
            spec JSON,
            first_seen TIMESTAMP NOT NULL,
            current BOOLEAN NOT NULL,              -- shown by the name alone (others as name@hash8): bench.store.models
            PRIMARY KEY (name, spec_hash)
        )
        """
    )
    spec_less = con.execute(
        """SELECT DISTINCT r.model_name, m.family, s.submission_id
           FROM runs r JOIN models m ON m.name = r.model_name LEFT JOIN submission_runs s USING (run_id)
           WHERE r.spec_hash IS NULL"""
    ).fetchall()
    for name, family, sub in spec_less:
        origin = f"submission:{sub}" if sub else "run-file"
        con.execute(
            f"""UPDATE runs SET spec_hash = ? WHERE model_name = ? AND spec_hash IS NULL
                AND run_id {"IN" if sub else "NOT IN"} (SELECT run_id FROM submission_runs {"WHERE submission_id = ?" if sub else ""})""",
            [synthetic_identity(name, family, origin), name, *([sub] if sub else [])],
        )
    con.execute(
        """UPDATE runs SET provenance = 'local'
           WHERE provenance = 'self-reported' AND run_id NOT IN (SELECT run_id FROM submission_runs)"""
    )
    con.execute(
        """
        INSERT INTO model_versions
        SELECT r.model_name, r.spec_hash, m.family, m.kind, m.hf_id, m.revision, m.parameters, m.dimension,
               m.training_datasets, m.metadata, any_value(r.spec ORDER BY r.finished_at DESC), min(r.finished_at), false
        FROM runs r JOIN models m ON m.name = r.model_name
        GROUP BY ALL
        """
    )
    # the current version: the committed spec's for a reference name, else the newest
    committed = reference_spec_hashes()
    for (name,) in con.execute("SELECT DISTINCT name FROM model_versions").fetchall():
        versions = [
            h for (h,) in con.execute("SELECT spec_hash FROM model_versions WHERE name = ? ORDER BY first_seen DESC", [name]).fetchall()
        ]
        pick = committed[name] if committed.get(name) in versions else versions[0]
        con.execute("UPDATE model_versions SET current = (spec_hash = ?) WHERE name = ?", [pick, name])
    con.execute(
        """
        CREATE TABLE model_names AS
        SELECT m.name,
               CASE WHEN s.submission_id IS NOT NULL THEN 'submission'
                    WHEN m.name IN (SELECT unnest(?::VARCHAR[]))
                      OR m.name IN (SELECT model_name FROM runs WHERE provenance IN ('reference', 'reproduced')) THEN 'reference'
                    ELSE 'local' END AS owner,
               s.submission_id AS owner_key,
               m.updated_at AS claimed_at
        FROM models m LEFT JOIN (SELECT model_name, min(submission_id) AS submission_id FROM submissions GROUP BY 1) s
             ON s.model_name = m.name
        """,
        [sorted(reference_names())],
    )
    con.execute("DROP TABLE models")
    con.execute(
        """
        CREATE TABLE models (
            name VARCHAR PRIMARY KEY,
            owner VARCHAR NOT NULL,                -- reference | local | submission | imported (bench.store.models)
            owner_key VARCHAR,                     -- the submission id, or the import source
            claimed_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute("INSERT INTO models SELECT name, owner, owner_key, claimed_at FROM model_names")
    con.execute("DROP TABLE model_names")
    # trec_eval -c: zeros for unanswered judged queries (where a complete run shows which they are), then rescale means
    con.execute(
        """
        INSERT INTO query_metrics
        SELECT r.run_id, j.qid, m.metric, 0.0
        FROM runs r
        JOIN (SELECT DISTINCT r2.dataset_hash, q.qid FROM query_metrics q JOIN runs r2 USING (run_id)
              WHERE r2.evaluated_queries = r2.judged_queries) j ON j.dataset_hash = r.dataset_hash
        JOIN metrics m ON m.run_id = r.run_id
        WHERE r.evaluated_queries < r.judged_queries
          AND NOT EXISTS (SELECT 1 FROM query_metrics x WHERE x.run_id = r.run_id AND x.qid = j.qid AND x.metric = m.metric)
        """
    )
    con.execute(
        """UPDATE metrics SET value = value * r.evaluated_queries / r.judged_queries
           FROM runs r WHERE r.run_id = metrics.run_id AND r.judged_queries > 0 AND r.evaluated_queries < r.judged_queries"""
    )
    # a dataset scored with identical ids dropped is another dataset identity
    for (old,) in con.execute("SELECT dataset_hash FROM datasets WHERE drop_identical_ids").fetchall():
        new = scoring_identity(old, True)
        for table in ("datasets", "runs", "reproductions", "submission_runs"):
            con.execute(f"UPDATE {table} SET dataset_hash = ? WHERE dataset_hash = ?", [new, old])
    con.execute("ALTER TABLE reproductions ADD COLUMN code_version VARCHAR")


@migration
def m_training_cards(con: duckdb.DuckDBPyConnection) -> None:
    """Training cards (``bench train``): one row per training of a recipe, keyed by card id (bench.store.training)."""
    con.execute(
        """
        CREATE TABLE training_cards (
            card_id VARCHAR PRIMARY KEY,
            model_name VARCHAR NOT NULL,
            spec_hash VARCHAR NOT NULL,            -- the student spec's hash (recipe included)
            train_key VARCHAR NOT NULL,            -- the train stage's cache key (bench.training.pipeline.plan)
            weights_sha256 VARCHAR NOT NULL,       -- the trained folder's fingerprint (bench.weights)
            training_datasets VARCHAR[] NOT NULL,  -- the collections it trained on (zero-shot flag)
            seed BIGINT NOT NULL,
            threads INTEGER NOT NULL,
            wall_s DOUBLE NOT NULL,
            examples_per_s DOUBLE,
            card JSON NOT NULL,                    -- teachers, margin rule, counts, hyper-parameters, stages, environment
            loss_curve JSON NOT NULL,              -- [[step, loss], ...]
            trained_at TIMESTAMP NOT NULL
        )
        """
    )
    con.execute("CREATE INDEX training_cards_model ON training_cards(model_name)")


@migration
def m_thoughts(con: duckdb.DuckDBPyConnection) -> None:
    """Thoughts of reasoning-embedder runs: every generated thought, recorded with its run (bench.store.thoughts)."""
    con.execute(
        """
        CREATE TABLE thoughts (
            run_id VARCHAR NOT NULL,
            qid VARCHAR NOT NULL,
            sample INTEGER NOT NULL,               -- 0 .. thoughts per query - 1
            query VARCHAR NOT NULL,                -- the query text the thought was written for
            text VARCHAR NOT NULL,                 -- model output: render as plain text
            tokens INTEGER NOT NULL,               -- generated tokens
            seconds DOUBLE NOT NULL,               -- generation time charged to this thought
            finish_reason VARCHAR NOT NULL,        -- stop | length
            PRIMARY KEY (run_id, qid, sample)
        )
        """
    )


# --- issue 9: results in from other tools
@migration
def m_imports(con: duckdb.DuckDBPyConnection) -> None:
    """Imported results (``bench import mteb``): one row per imported run, with the file it came from (bench.store.imports)."""
    con.execute(
        """
        CREATE TABLE imports (
            run_id VARCHAR PRIMARY KEY,            -- the runs row (provenance imported: metrics only, no per-query rows)
            tool VARCHAR NOT NULL,                 -- mteb
            tool_version VARCHAR,                  -- mteb_version as the file says (NULL: not recorded)
            layout VARCHAR NOT NULL,               -- mteb-v2 | mteb-v1 | mteb-legacy
            task_name VARCHAR NOT NULL,            -- the tool's task name (NFCorpus)
            split VARCHAR NOT NULL,
            hf_subset VARCHAR NOT NULL,
            dataset_revision VARCHAR,              -- the tool's dataset revision (never verified against our copy)
            model_revision VARCHAR,
            evaluation_time DOUBLE,                -- seconds, as the file says
            file VARCHAR NOT NULL,                 -- the path it was read from
            file_sha256 VARCHAR NOT NULL,
            mapping VARCHAR NOT NULL,              -- how the task was mapped to a registry dataset
            imported_at TIMESTAMP NOT NULL
        )
        """
    )


# --- issue 17: reproducible on any machine
@migration
def m_reproduction_mode(con: duckdb.DuckDBPyConnection) -> None:
    """How each reproduction was made: fresh (no cache read) or which caches it read, and a note (differing weights, kernels)."""
    con.execute("ALTER TABLE reproductions ADD COLUMN fresh BOOLEAN")  # NULL: recorded before this was
    con.execute("ALTER TABLE reproductions ADD COLUMN caches_read JSON")  # kind -> hits, e.g. {"embeddings": 2}
    con.execute("ALTER TABLE reproductions ADD COLUMN note VARCHAR")  # e.g. weights differ: <stage>; kernels: <fingerprint diff>


# --- issue 18: embedding tasks
@migration
def m_tasks(con: duckdb.DuckDBPyConnection) -> None:
    """Embedding tasks scored by mteb (bench.store.tasks): the task identities, one row per task run with mteb's main
    score and every score, per-item values for paired statistics, cost, mteb version; imported task results too."""
    con.execute(
        """
        CREATE TABLE tasks (
            task_hash VARCHAR PRIMARY KEY,         -- bench.tasks.reader.Task.content_hash: split files + scoring rules
            name VARCHAR NOT NULL,
            type VARCHAR NOT NULL,                 -- STS | Classification | PairClassification | Clustering
            mteb_task VARCHAR,                     -- MTEB's task name when the content is MTEB's
            origin VARCHAR NOT NULL,               -- mteb | local | derived | imported
            main_score VARCHAR NOT NULL,
            splits JSON,                           -- split -> rows
            files_hash VARCHAR,
            scoring JSON,
            source VARCHAR,
            first_seen TIMESTAMP NOT NULL
        )
        """
    )
    con.execute(
        """
        CREATE TABLE task_runs (
            run_id VARCHAR PRIMARY KEY,
            model_name VARCHAR NOT NULL,
            spec_hash VARCHAR NOT NULL,
            task_hash VARCHAR NOT NULL,
            split VARCHAR NOT NULL,
            provenance VARCHAR NOT NULL,
            main_score DOUBLE NOT NULL,
            spec JSON,
            weights_hash VARCHAR,
            environment JSON,
            environment_hash VARCHAR,
            code_version VARCHAR,
            mteb_version VARCHAR,
            started_at TIMESTAMP,
            finished_at TIMESTAMP NOT NULL,
            cost JSON,                             -- texts, texts_encoded, texts_cached, seconds, texts_per_s
            mteb_result JSON,                      -- mteb's TaskResult (bench export --format mteb writes it back)
            source VARCHAR                         -- an imported result's file
        )
        """
    )
    con.execute("CREATE TABLE task_scores (run_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, value DOUBLE, PRIMARY KEY (run_id, metric))")
    con.execute("CREATE TABLE task_items (run_id VARCHAR PRIMARY KEY, items JSON NOT NULL)")


# --- issue 19: published reference tables
@migration
def m_published(con: duckdb.DuckDBPyConnection) -> None:
    """Published reference numbers (Pyserini 2CR, MTEB results; bench.published): provenance ``published``, their own
    table, never joined into runs, means, tests or ranks."""
    con.execute(
        """
        CREATE TABLE published_scores (
            source VARCHAR NOT NULL,               -- pyserini-2cr | mteb-results
            row_name VARCHAR NOT NULL,             -- the table's row: a 2CR condition, an MTEB model id
            dataset VARCHAR NOT NULL,              -- registry name of the data it was measured on
            split VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE NOT NULL,
            decimals INTEGER NOT NULL,             -- printed precision (2CR: 4)
            source_ref VARCHAR NOT NULL,           -- package + version + file, or repository + path
            loaded_at TIMESTAMP NOT NULL,
            PRIMARY KEY (source, row_name, dataset, split, metric)
        )
        """
    )


# --- issue 21: names are owned by what was accepted
@migration
def m_submission_decisions(con: duckdb.DuckDBPyConnection) -> None:
    """A pending submission owns no name (only accepted results do), and a submission can be rejected or withdrawn.

    * ``submissions.decision``: who closed a submission without publishing it and why (``{"by": "maintainer" |
      "submitter", "reason": ..., "at": ...}``); its status becomes ``rejected`` or ``withdrawn``;
    * names claimed by a still-pending submission (before this migration a pending upload owned its name) are freed:
      the ``models`` row, and the versions that have no run but pending ones.
    """
    con.execute("ALTER TABLE submissions ADD COLUMN decision JSON")
    con.execute(
        """DELETE FROM model_versions mv
           WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.model_name = mv.name AND r.spec_hash = mv.spec_hash AND r.provenance <> 'pending')
             AND NOT EXISTS (SELECT 1 FROM task_runs t WHERE t.model_name = mv.name AND t.spec_hash = mv.spec_hash)
             AND EXISTS (SELECT 1 FROM runs r WHERE r.model_name = mv.name AND r.spec_hash = mv.spec_hash)"""
    )
    con.execute(
        """DELETE FROM models m
           WHERE m.owner = 'submission'
             AND m.owner_key IN (SELECT submission_id FROM submissions WHERE status = 'pending')
             AND NOT EXISTS (SELECT 1 FROM model_versions mv WHERE mv.name = m.name)"""
    )


# --- issue 20: documented SQL views for users of the DuckDB CLI (each view and its columns carry COMMENT ON)
_VIEWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "latest_runs": (
        "The latest run of each model version (name + spec hash) on each dataset content, with its headline metrics "
        "(trec_eval -c means: a judged query without results counts 0).",
        """
        SELECT r.run_id, r.model_name, r.spec_hash, d.name AS dataset, d.split, r.dataset_hash, r.provenance,
               max(CASE WHEN m.metric = 'nDCG@10' THEN m.value END) AS "nDCG@10",
               max(CASE WHEN m.metric = 'R@100' THEN m.value END) AS "R@100",
               max(CASE WHEN m.metric = 'R@1000' THEN m.value END) AS "R@1000",
               r.evaluated_queries AS answered, r.judged_queries AS judged, r.finished_at
        FROM runs r JOIN datasets d USING (dataset_hash) LEFT JOIN metrics m USING (run_id)
        WHERE r.run_id IN (
            SELECT run_id FROM runs
            QUALIFY row_number() OVER (PARTITION BY model_name, spec_hash, dataset_hash ORDER BY finished_at DESC, run_id) = 1
        )
        GROUP BY ALL
        """,
        {
            "run_id": "The run (runs.run_id).",
            "model_name": "The model's name; with spec_hash it is one model version.",
            "spec_hash": "Hash of the spec the run was made with (two hashes never share a leaderboard cell).",
            "dataset": "The dataset's name (a name may stand for several contents: dataset_hash is its identity).",
            "dataset_hash": "Content hash of corpus, queries and qrels (the dataset's identity).",
            "provenance": "reference | reproduced | local | self-reported | pending | imported.",
            "answered": "Judged queries the run returned results for.",
            "judged": "Queries with judgments in the split.",
        },
    ),
    "query_scores": (
        "Per-query scores of every run: one row per run, metric and judged query (the inputs of the paired tests).",
        """
        SELECT q.run_id, r.model_name, r.spec_hash, d.name AS dataset, r.dataset_hash, q.qid, q.metric, q.value
        FROM query_metrics q JOIN runs r USING (run_id) JOIN datasets d USING (dataset_hash)
        """,
        {
            "qid": "The query id as the dataset writes it.",
            "metric": "The measure, as ir_measures writes it (nDCG@10, R@100, ...).",
            "value": "The query's score; a judged query the run did not answer scores 0.",
        },
    ),
    "reproduction_checks": (
        "Every `bench reproduce` check: expected vs observed per metric, the tolerance and the verdict (OK | OKish | FAIL).",
        """
        SELECT reproduction_id, checked_at, model_name, spec_hash, dataset_name AS dataset, dataset_hash, run_id,
               metric, expected, observed, diff, tolerance, verdict
        FROM reproductions
        """,
        {
            "reproduction_id": "One check of one spec on one dataset content.",
            "run_id": "The run the check vouches for; NULL when it failed.",
            "diff": "observed - expected.",
            "verdict": "OK (equal to the expected score), OKish (within the spec's tolerance) or FAIL.",
        },
    ),
}


@migration
def m_views(con: duckdb.DuckDBPyConnection) -> None:
    for name, (comment, select, columns) in _VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {select}")
        con.execute(f"COMMENT ON VIEW {name} IS '{comment.replace(chr(39), chr(39) * 2)}'")
        for column, text in columns.items():
            con.execute(f"COMMENT ON COLUMN {name}.{column} IS '{text.replace(chr(39), chr(39) * 2)}'")


# --- issue 19: `bench reproduce` against published tables, recorded
@migration
def m_reproduction_published(con: duckdb.DuckDBPyConnection) -> None:
    """One row per published number a ``bench reproduce`` check compared with (bench.published.tables.check): which table
    and row, the published value at its printed decimals, what was observed, and the verdict (OK | OKish | FAIL)."""
    con.execute(
        """
        CREATE TABLE reproduction_published (
            reproduction_id VARCHAR NOT NULL,      -- the check (reproductions.reproduction_id when it also had expected scores)
            checked_at TIMESTAMP NOT NULL,
            model_name VARCHAR NOT NULL,
            spec_hash VARCHAR,
            dataset_hash VARCHAR NOT NULL,         -- the local content the run was made on (registered for the table)
            run_id VARCHAR,                        -- the run it vouches for; NULL when it failed
            source VARCHAR NOT NULL,               -- pyserini-2cr | mteb-results
            source_ref VARCHAR NOT NULL,           -- package + version + file, or repository + path
            row_name VARCHAR NOT NULL,             -- the table's row: a 2CR condition, an MTEB model id
            dataset VARCHAR NOT NULL,              -- the table's dataset name
            split VARCHAR NOT NULL,
            metric VARCHAR NOT NULL,
            published DOUBLE NOT NULL,
            observed DOUBLE,
            decimals INTEGER NOT NULL,
            verdict VARCHAR NOT NULL,              -- OK (equal at the printed decimals) | OKish (within 5e-decimals) | FAIL
            PRIMARY KEY (reproduction_id, source, row_name, metric)
        )
        """
    )
