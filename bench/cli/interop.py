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
    existing = next((p for p in (output, *output.parents) if p.exists() or p.is_symlink()), None)
    if existing is not None and not existing.is_dir():  # checked before the database is read: nothing is written
        raise typer.BadParameter(f"{existing} exists and is not a folder; -o takes a folder (new or existing)", param_hint="--output")
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


@import_app.command("mteb")
def import_mteb(
    path: Annotated[Path, typer.Argument(help="An MTEB results file, or a folder of them (<org>__<model>/<revision>/<Task>.json).")],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Record under this brewbench name (default: the MTEB model id, normalised).")
    ] = None,
    family: Annotated[str, typer.Option(help="Model family to record (MTEB files do not say).")] = "dense",
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import MTEB results (any mteb version's layout) as provenance 'imported': aggregates only, never in paired tests.

    Each task is mapped to a registry dataset by name (bench/datasets/mteb_tasks.yaml); its data is MTEB's copy, which
    brewbench cannot verify, so imported results get a dataset identity of their own and never share a cell with runs
    made here. Every file is checked before anything is written; importing the same file again changes nothing.
    """
    from datetime import UTC, datetime

    from bench.interop.mteb_import import plan_import
    from bench.store.db import open_writer
    from bench.store.imports import record_imports

    plan = plan_import(path, model=model, family=family)
    if plan.runs:
        with open_writer(db_path(db)) as con:
            outcomes = record_imports(con, plan.runs, datetime.now(UTC).replace(tzinfo=None))
    else:
        outcomes = []
    rows = [
        {
            "model": o.run.model.name,
            "task": o.run.task_name,
            "dataset": o.run.dataset,
            "split": o.run.split,
            "nDCG@10": o.run.metrics.get("nDCG@10"),
            "mteb_version": o.run.tool_version,
            "dataset_revision": o.run.dataset_revision,
            "run_id": o.run.run_id,
            "status": "imported" if o.recorded else "already imported",
            "file": o.run.file,
        }
        for o in outcomes
    ]
    if json_out:
        emit_json({"imported": rows, "skipped": plan.skipped, "names": plan.renamed})
        return
    for model_id, name in sorted(plan.renamed.items()):
        if model_id != name:
            out.print(f"MTEB model {model_id} is recorded as {name}", markup=False, soft_wrap=True)
    if rows:
        out.print(
            table(
                f"Imported from {path} into {db_path(db)} (provenance imported: aggregates only)",
                ["model", "task", "dataset", "split", "nDCG@10", "mteb", "status", "run"],
                [
                    [r["model"], r["task"], r["dataset"], r["split"], r["nDCG@10"], r["mteb_version"], r["status"], r["run_id"]]
                    for r in rows
                ],
            )
        )
    for line in plan.skipped:
        out.print(f"skipped: {line}", markup=False, soft_wrap=True)
    if not rows:
        out.print(f"nothing to import from {path}: no MTEB task there maps to a brewbench dataset", markup=False, soft_wrap=True)
