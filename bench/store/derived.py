"""Measures computed after the fact from a run's stored rankings (``bench results --metric nDCG@20``), cached in ``metrics``.

A run stores its top-1000 list per query (``rankings``), so any measure whose cutoff is within that depth can be
computed later from the rankings and the dataset's qrels (the dataset found on the data path by its content hash).
A measure that looks deeper than what is stored is refused (its value would silently be wrong); one without a
cutoff (``AP``, ``RR``) is computed over the stored depth, as for the run itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from bench.datasets.beir import Dataset
from bench.errors import EvaluationError
from bench.evaluation.evaluate import evaluate
from bench.evaluation.measures import Measure
from bench.store.db import transaction
from bench.types import Run


def missing(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str], metric: str) -> list[str]:
    """Runs among ``run_ids`` that have stored rankings but no ``metric`` yet (imported results have no rankings)."""
    if not run_ids:
        return []
    rows = con.execute(
        """
        SELECT DISTINCT k.run_id FROM rankings k
        WHERE list_contains(?, k.run_id) AND k.run_id NOT IN (SELECT run_id FROM metrics WHERE metric = ?)
        ORDER BY k.run_id
        """,
        [list(run_ids), metric],
    ).fetchall()
    return [r[0] for r in rows]


def stored_depth(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    return int(con.execute("SELECT coalesce(max(rank), 0) FROM rankings WHERE run_id = ?", [run_id]).fetchone()[0])  # type: ignore[index]


STORED_DEPTH = 1000
"""How deep a run's rankings are stored (bench.store.runs keeps the top 1000 per query, TREC depth)."""


def check_depth(measure: Measure, depth: int, run_id: str) -> None:
    """EvaluationError when ``measure`` looks past what is stored for ``run_id``: its lists were cut at
    :data:`STORED_DEPTH` (a run whose longest list is shorter was stored whole, and any cutoff is exact on it)."""
    if measure.cutoff is not None and measure.cutoff > STORED_DEPTH and depth >= STORED_DEPTH:
        raise EvaluationError(
            f"metric {measure} needs rankings to depth {measure.cutoff}, but run {run_id} stored only its top {STORED_DEPTH} per query: "
            f"use a cutoff of at most {STORED_DEPTH}, or rerun the model with --metric {measure}"
        )


def stored_run(con: duckdb.DuckDBPyConnection, run_id: str) -> Run:
    rows = con.execute("SELECT qid, docid, score FROM rankings WHERE run_id = ? ORDER BY qid, rank", [run_id]).fetchall()
    results: dict[str, list[tuple[str, float]]] = {}
    for qid, docid, score in rows:
        results.setdefault(qid, []).append((docid, float(score)))
    return Run(results)


def run_dataset(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str, str, str, str | None, bool]:
    """(dataset_hash, name, split, source path, drop_identical_ids) of the dataset ``run_id`` ran on."""
    row = con.execute(
        "SELECT d.dataset_hash, d.name, d.split, d.source, d.drop_identical_ids FROM runs r JOIN datasets d USING (dataset_hash) WHERE r.run_id = ?",
        [run_id],
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3], bool(row[4])


def find_by_hash(dataset_hash: str, name: str, split: str, source: str | None) -> Dataset | None:
    """The dataset with this content hash: its recorded folder first, then every dataset folder on the data path."""
    from bench.datasets.registry import local_dataset_names, resolve_dataset

    refs = ([str(Path(source).resolve())] if source and Path(source).is_dir() else []) + [name, *local_dataset_names()]
    for ref in dict.fromkeys(refs):
        try:
            ds = resolve_dataset(ref, split)
            if ds.content_hash == dataset_hash:
                return ds
        except Exception:  # a folder that is not this dataset (or not readable) is simply not it
            continue
    return None


def add_measures(con: duckdb.DuckDBPyConnection, run_id: str, measures: Sequence[Measure], dataset: Dataset) -> dict[str, float]:
    """Compute ``measures`` for ``run_id`` from its stored rankings and write them (means and per query) in one transaction."""
    run = stored_run(con, run_id)
    result = evaluate(run, dataset.qrels(), measures, drop_identical_ids=dataset.drop_identical_ids)
    names = [str(m) for m in measures]
    with transaction(con, f"caching {', '.join(names)} for run {run_id}"):
        for name in names:
            con.execute("INSERT INTO metrics VALUES (?, ?, ?)", [run_id, name, float(result.aggregate[name])])
            con.executemany(
                "INSERT INTO query_metrics VALUES (?, ?, ?, ?)",
                [[run_id, qid, name, float(vals[name])] for qid, vals in result.per_query.items()],
            )
    return {n: result.aggregate[n] for n in names}


def fill(db: Path, metrics: Sequence[str], history: bool = False) -> list[str]:
    """Compute and cache every metric of ``metrics`` that a listed run lacks, from its stored rankings; notes to show.

    Raises:
        EvaluationError: a metric looks deeper than a run's stored rankings (nothing is written).
    """
    from bench.evaluation.measures import parse_measure
    from bench.store.db import open_read_only, open_writer
    from bench.store.runs import results_table

    if not metrics:
        return []
    with open_read_only(db) as con:
        run_ids = list(dict.fromkeys(results_table(con, history=history)["run_id"]))
        todo = {m: missing(con, run_ids, m) for m in metrics}
        depths = {r: stored_depth(con, r) for rs in todo.values() for r in rs}
        places = {r: run_dataset(con, r) for r in depths}
    if not depths:
        return []
    for m, rs in todo.items():
        for r in rs:
            check_depth(parse_measure(m), depths[r], r)  # before anything is computed or written
    found: dict[str, Dataset | None] = {}
    notes: list[str] = []
    done: dict[str, int] = {}
    with open_writer(db) as con:
        for r in sorted(depths):
            h, name, split, source, _ = places[r]
            if h not in found:
                found[h] = find_by_hash(h, name, split, source)
            ds = found[h]
            wanted = [parse_measure(m) for m, rs in todo.items() if r in rs]
            if ds is None:
                continue
            add_measures(con, r, wanted, ds)
            for m in wanted:
                done[str(m)] = done.get(str(m), 0) + 1
    for m, n in done.items():
        notes.append(
            f"{m} computed for {n} run(s) from their stored rankings and cached in {db} "
            f"(depth limit: the top {STORED_DEPTH} per query are stored; a deeper cutoff is refused)"
        )
    for h, ds in found.items():
        if ds is None:
            name, split = next((p[1], p[2]) for p in places.values() if p[0] == h)
            notes.append(
                f"not computed on {name} ({split}, {h[:12]}): no folder on the data path has that content; add it to BENCH_DATA_PATH"
            )
    return notes
