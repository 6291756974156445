"""TREC run files from the stored rankings (``qid Q0 docid rank score tag``), the file ``bench eval`` reads back."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.errors import StoreError
from bench.store.exports import StoredRun, run_rankings


def write_trec(con: duckdb.DuckDBPyConnection, run: StoredRun, folder: Path) -> Path:
    """Write the stored ranked lists of ``run`` to ``folder/<dataset>.trec`` (tag: the version label); returns the path.

    Ranks and scores are the stored ones (depth as recorded, at most 1000).

    Raises:
        StoreError: the run has no stored rankings (imported results carry aggregates only).
    """
    ranks = run_rankings(con, run.run_id)
    if ranks.empty:
        raise StoreError(
            f"{run.label} on {run.dataset}: run {run.run_id} has no stored rankings ({run.provenance} results carry aggregates only); "
            "export it with --format mteb"
        )
    path = folder / f"{file_stem(run)}.trec"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for qid, rank, docid, score in ranks.itertuples(index=False):
            f.write(f"{qid} Q0 {docid} {int(rank)} {float(score)!r} {run.label}\n")
    return path


def file_stem(run: StoredRun) -> str:
    """``nfcorpus`` for the test split, ``msmarco.dev`` otherwise (a dataset name is a folder name: no separators)."""
    return run.dataset if run.split == "test" else f"{run.dataset}.{run.split}"
