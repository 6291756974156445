"""`bench export` (results out: TREC, per-query CSV/parquet, MTEB) and `bench import mteb` (MTEB results in)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bench.cli.common import EXPORT_FORMATS, FAMILIES, DbOption, JsonOption, app, db_path, emit_json, one_of, out, table

import_app = typer.Typer(help="Import results written by another tool (aggregates only, provenance imported).", no_args_is_help=True)
app.add_typer(import_app, name="import")


@app.command("export")
def export(
    model: Annotated[str, typer.Option("--model", "-m", help="A model name (its current version) or a version label name@hash8.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into (created if needed).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="What to write.", **one_of(EXPORT_FORMATS, "a format"))] = "trec",
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="A dataset name or content-hash prefix (repeatable; default: all it has).")
    ] = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", "-t", help="Embedding tasks instead of datasets (--format mteb; repeatable).")
    ] = None,
    suite: Annotated[
        str | None,
        typer.Option("--suite", help="Every member of this suite the version has a run on (`bench suites show NAME`); the others listed."),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Write the stored results of one model version: TREC runs, per-query values, or MTEB's results layout.

    The latest run of the version on each dataset is exported; files say where they came from (provenance, spec hash,
    run id) in a brewbench-export.json beside them, or inside the MTEB file. With --suite, every member the version
    has a recorded run on is exported and each other member is listed in one line, with why and what to do.
    """
    from bench.interop.export import FORMATS, export_runs
    from bench.store.db import open_read_only
    from bench.store.exports import version_runs

    if fmt not in FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not a format; use one of {', '.join(FORMATS)}", param_hint="--format")
    existing = next((p for p in (output, *output.parents) if p.exists() or p.is_symlink()), None)
    if existing is not None and not existing.is_dir():  # checked before the database is read: nothing is written
        raise typer.BadParameter(f"{existing} exists and is not a folder; -o takes a folder (new or existing)", param_hint="--output")
    if suite is not None:
        if task:
            raise typer.BadParameter(
                "--suite exports the suite's own members (its tasks too, with --format mteb): leave -t out", param_hint="--suite"
            )
        _export_suite(model, suite, fmt, tuple(dataset or ()), output, db, json_out)
        return
    if task:
        if fmt != "mteb" or dataset:
            raise typer.BadParameter("-t exports embedding-task results in MTEB's layout: give --format mteb and no -d", param_hint="-t")
        _export_tasks(model, list(task), output, db, json_out)
        return
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


def _export_suite(model: str, suite: str, fmt: str, extra: tuple[str, ...], output: Path, db: Path | None, json_out: bool) -> None:
    from bench.cli.common import err
    from bench.interop.export import export_runs, suite_selection
    from bench.store.db import open_read_only

    with open_read_only(db_path(db)) as con:
        chosen = suite_selection(con, model, suite, fmt, extra)
        done = export_runs(con, chosen.runs, fmt, output) if chosen.runs else []
    for line in chosen.missing:  # one line per member not exported: which, why, what to do
        err.print(line, markup=False, soft_wrap=True)
    rows = [{"member": e.run.dataset, "run_id": e.run.run_id, "provenance": e.run.provenance, "file": str(e.path)} for e in done]
    if chosen.tasks:
        rows += _export_tasks(model, chosen.tasks, output, db, json_out, emit=False)
    label = done[0].run.label if done else model
    if json_out:
        emit_json({"model": label, "suite": suite, "format": fmt, "files": rows, "missing": chosen.missing})
        return
    out.print(
        table(
            f"{label}: suite {suite} exported as {fmt} ({len(rows)} member(s); {len(chosen.missing)} not, listed above)",
            ["member", "provenance", "run", "file"],
            [[r["member"], r["provenance"], r["run_id"], r["file"]] for r in rows],
        )
    )


def _export_tasks(model: str, tasks: list[str], output: Path, db: Path | None, json_out: bool, emit: bool = True) -> list[dict[str, str]]:
    from bench.errors import StoreError
    from bench.interop.mteb_export import write_task_mteb
    from bench.store.db import open_read_only
    from bench.store.tasks import task_results, task_run

    if output.exists() and not output.is_dir():
        raise typer.BadParameter(f"{output} exists and is not a folder; give a folder to write into", param_hint="-o")
    with open_read_only(db_path(db)) as con:
        df = task_results(con, model=model, tasks=tasks)
        df = df[df["provenance"] != "imported"]
        missing = [t for t in tasks if not ((df["task"] == t) | (df["mteb_task"] == t)).any()]
        if missing:
            raise StoreError(
                f"{model}: no recorded run on task(s) {', '.join(missing)} in {db_path(db)}; run `bench run SPEC -t {missing[0]}` first"
            )
        runs = [(row.model, task_run(con, row.run_id)) for row in df.itertuples()]
    rows = []
    for label, run in runs:
        assert run is not None
        path = write_task_mteb(run, label, output)
        rows.append({"task": run["task_name"], "run_id": run["run_id"], "provenance": run["provenance"], "file": str(path)})
    if not emit:
        return [{"member": r["task"], **{k: v for k, v in r.items() if k != "task"}} for r in rows]
    if json_out:
        emit_json({"model": runs[0][0], "format": "mteb", "files": rows})
        return rows
    out.print(table(f"{runs[0][0]} exported as mteb", ["task", "provenance", "run", "file"],
                    [[r["task"], r["provenance"], r["run_id"], r["file"]] for r in rows]))  # fmt: skip
    return rows


@import_app.command("mteb")
def import_mteb(
    path: Annotated[Path, typer.Argument(help="An MTEB results file, or a folder of them (<org>__<model>/<revision>/<Task>.json).")],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Record under this brewbench name (default: the MTEB model id, normalised).")
    ] = None,
    family: Annotated[
        str | None,
        typer.Option(
            help="Model family to record (default: model_meta.json's model_type, else unknown).", metavar="<" + "|".join(FAMILIES) + ">"
        ),
    ] = None,
    zero_shot: Annotated[
        str | None,
        typer.Option(
            "--zero-shot",
            metavar="<yes|no>",
            help="yes or no: trained on none / all of the imported collections "
            "(default: model_meta.json's training_datasets, else unknown).",
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import MTEB results (any mteb version's layout) as provenance 'imported': aggregates only, never in paired tests.

    Each task is mapped to a registry dataset by name (bench/datasets/mteb_tasks.yaml); its data is MTEB's copy, which
    brewbench cannot verify, so imported results get a dataset identity of their own and never share a cell with runs
    made here. Every file is checked before anything is written; importing the same file again changes nothing.
    """
    from datetime import UTC, datetime

    from bench.interop.mteb_import import Plan, plan_import, zero_shot_on
    from bench.interop.mteb_task_import import plan_task_import, task_files
    from bench.store.db import open_writer
    from bench.store.imports import record_imports

    tfiles = task_files(path)
    task_plan = plan_task_import(tfiles, model=model, family=family, zero_shot=zero_shot)  # every file checked before anything is written
    only_tasks = path.is_file() and bool(tfiles)
    plan = (
        Plan([], [], {}) if only_tasks else plan_import(path, model=model, family=family, zero_shot=zero_shot, skip_files=frozenset(tfiles))
    )
    task_rows = []
    if plan.runs or task_plan:
        from bench.store.tasks import record_task_run

        with open_writer(db_path(db)) as con:
            outcomes = record_imports(con, plan.runs, datetime.now(UTC).replace(tzinfo=None)) if plan.runs else []
            for rec in task_plan:
                seen = con.execute("SELECT count(*) FROM task_runs WHERE run_id = ?", [rec.run_id]).fetchone()
                if not (seen and seen[0]):
                    record_task_run(con, rec)
                task_rows.append({"model": rec.model.name, "task": rec.task.name, "mteb_task": rec.task.mteb_task, "type": rec.task.type,
                                  "main_score": rec.main_score, "run_id": rec.run_id, "file": rec.source,
                                  "status": "already imported" if seen and seen[0] else "imported"})  # fmt: skip
    else:
        outcomes = []
    rows = [
        {
            "model": o.run.model.name,
            "task": o.run.task_name,
            "dataset": o.run.dataset,
            "split": o.run.split,
            "family": o.run.model.family,
            "zero_shot": zero_shot_on(o.run.model, o.run.dataset),
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
        emit_json({"imported": rows, "tasks": task_rows, "skipped": plan.skipped, "names": plan.renamed})
        return
    if task_rows:
        out.print(
            table(
                f"Embedding-task results imported from {path} (provenance imported: main and every score, no per-item values)",
                ["model", "task", "type", "main score", "status", "run"],
                [[r["model"], r["mteb_task"], r["type"], r["main_score"], r["status"], r["run_id"]] for r in task_rows],
            )
        )
    for model_id, name in sorted(plan.renamed.items()):
        if model_id != name:
            out.print(f"MTEB model {model_id} is recorded as {name}", markup=False, soft_wrap=True)
    if rows:
        out.print(
            table(
                f"Imported from {path} into {db_path(db)} (provenance imported: aggregates only)",
                ["model", "family", "task", "dataset", "split", "zero-shot", "nDCG@10", "mteb", "status", "run"],
                [
                    [
                        r["model"],
                        r["family"],
                        r["task"],
                        r["dataset"],
                        r["split"],
                        r["zero_shot"],
                        r["nDCG@10"],
                        r["mteb_version"],
                        r["status"],
                        r["run_id"],
                    ]
                    for r in rows
                ],
            )
        )
    for line in plan.skipped:
        out.print(f"skipped: {line}", markup=False, soft_wrap=True)
    if not rows and not task_rows:
        out.print(f"nothing to import from {path}: no MTEB task there maps to a brewbench dataset", markup=False, soft_wrap=True)
