"""`bench export` (results out: TREC, per-query CSV/parquet, MTEB) and `bench import mteb` (MTEB results in)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bench.cli.common import DbOption, JsonOption, app, db_path, emit_json, out, table

import_app = typer.Typer(help="Import results written by another tool (aggregates only, provenance imported).", no_args_is_help=True)
app.add_typer(import_app, name="import")


@app.command("export")
def export(
    model: Annotated[str, typer.Option("--model", "-m", help="A model name (its current version) or a version label name@hash8.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into (created if needed).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="trec, csv, parquet or mteb.")] = "trec",
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="A dataset name or content-hash prefix (repeatable; default: all it has).")
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Write the stored results of one model version: TREC runs, per-query values, or MTEB's results layout.

    The latest run of the version on each dataset is exported; files say where they came from (provenance, spec hash,
    run id) in a brewbench-export.json beside them, or inside the MTEB file.
    """
    from bench.interop.export import FORMATS, export_runs
    from bench.store.db import open_read_only
    from bench.store.exports import version_runs

    if fmt not in FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not a format; use one of {', '.join(FORMATS)}", param_hint="--format")
    with open_read_only(db_path(db)) as con:
        runs = version_runs(con, model, dataset or ())
        done = export_runs(con, runs, fmt, output)
    rows = [{"dataset": e.run.dataset, "run_id": e.run.run_id, "provenance": e.run.provenance, "file": str(e.path)} for e in done]
    if json_out:
        emit_json({"model": runs[0].label, "spec_hash": runs[0].spec_hash, "format": fmt, "files": rows})
        return
    out.print(
        table(
            f"{runs[0].label} ({runs[0].spec_hash[:12]}) exported as {fmt}",
            ["dataset", "provenance", "run", "file"],
            [[r["dataset"], r["provenance"], r["run_id"], r["file"]] for r in rows],
        )
    )
