"""Per-query values as CSV or parquet: ``qid, metric, value`` for every judged query, as stored (trec_eval -c)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.errors import StoreError
from bench.interop.trec import file_stem
from bench.store.exports import StoredRun, run_query_metrics

FORMATS = ("csv", "parquet")


def write_per_query(con: duckdb.DuckDBPyConnection, run: StoredRun, folder: Path, fmt: str) -> Path:
    """Write ``folder/<dataset>.per_query.<fmt>`` (columns qid, metric, value, sorted); returns the path.

    Raises:
        StoreError: the run has no per-query values (imported results carry aggregates only).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    values = run_query_metrics(con, run.run_id)
    if values.empty:
        raise StoreError(
            f"{run.label} on {run.dataset}: run {run.run_id} has no per-query values ({run.provenance} results carry aggregates only); "
            "export it with --format mteb"
        )
    path = folder / f"{file_stem(run)}.per_query.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        values.to_csv(path, index=False, float_format="%.17g")
        return path
    mem = duckdb.connect(
        config={"autoload_known_extensions": False, "autoinstall_known_extensions": False}
    )  # DuckDB writes parquet itself: no extra dependency
    try:
        mem.register("per_query", values)
        target = str(path).replace("'", "''")
        mem.execute(f"COPY per_query TO '{target}' (FORMAT PARQUET)")
    finally:
        mem.close()
    return path
