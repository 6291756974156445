"""`bench run`, `bench eval`, `bench results` and `bench db migrate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.cli.common import DatasetOption, DbOption, JsonOption, SplitOption, app, db_path, emit_json, err, out, stdout_to_stderr, table

db_app = typer.Typer(help="Maintain the results database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="A model spec, e.g. models/bm25-flat.yaml.")],
    dataset: DatasetOption,
    split: SplitOption = "test",
    db: DbOption = None,
    json_out: JsonOption = False,
    record: Annotated[bool, typer.Option("--record/--no-record", help="Record the run in the database.")] = True,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the run as a TREC file.")] = None,
) -> None:
    """Index, retrieve, evaluate and record one run."""
    from bench.datasets.registry import resolve_dataset
    from bench.evaluation.trec import write_trec_run
    from bench.execute import execute_run
    from bench.progress import RichProgress
    from bench.specs import load_spec

    model = load_spec(spec)
    ds = resolve_dataset(dataset, split)
    with stdout_to_stderr(json_out):
        summary, result, _ = execute_run(model, ds, db_path(db) if record else None, source=str(spec), progress=RichProgress(err))
        if output:
            write_trec_run(result.run, output, tag=model.name)
    if json_out:
        emit_json(summary.as_json())
        return
    t = summary.timings
    rows = [[k, v] for k, v in summary.metrics.items()]
    out.print(table(f"{summary.model} on {summary.dataset} ({summary.split}, {summary.dataset_hash[:12]})", ["metric", "value"], rows))
    out.print(
        f"run {summary.run_id}: {summary.evaluated_queries}/{summary.judged_queries} judged queries; index {t.index_s:.2f}s, encode {t.encode_s:.2f}s, search {t.search_s:.2f}s, total {t.total_s:.2f}s"
        + (f"; recorded in {db_path(db)}" if record else "")
    )


@app.command("eval")
def eval_(
    run_file: Annotated[Path, typer.Argument(help="A TREC run file (qid Q0 docid rank score tag), .gz allowed.")],
    dataset: DatasetOption,
    split: SplitOption = "test",
    db: DbOption = None,
    json_out: JsonOption = False,
    record: Annotated[bool, typer.Option("--record", help="Record it (provenance self-reported).")] = False,
    model: Annotated[str | None, typer.Option(help="Model name when recording (default: the run tag).")] = None,
    family: Annotated[
        str | None, typer.Option(help="Model family when recording: lexical, learned-sparse, dense, reasoning, soft-label.")
    ] = None,
) -> None:
    """Evaluate a TREC run file against a dataset's qrels (and record it with --record)."""
    import time
    from datetime import UTC, datetime

    from bench.datasets.registry import resolve_dataset
    from bench.evaluation.evaluate import evaluate
    from bench.evaluation.trec import read_trec_run
    from bench.execute import record as record_run
    from bench.specs import FAMILIES
    from bench.store.runs import ModelRow
    from bench.types import Timings

    ds = resolve_dataset(dataset, split)
    started = datetime.now(UTC).replace(tzinfo=None)
    the_run = read_trec_run(run_file, depth=1000)
    t0 = time.perf_counter()
    result = evaluate(the_run, ds.qrels(), drop_identical_ids=ds.drop_identical_ids)
    eval_s = time.perf_counter() - t0
    payload: dict[str, Any] = {
        "run_file": str(run_file),
        "dataset": {"name": ds.name, "hash": ds.content_hash, "split": ds.split},
        "metrics": dict(result.aggregate),
        "queries": {"evaluated": result.evaluated_queries, "judged": result.judged_queries},
    }
    if record:
        if family is None or family not in FAMILIES:
            raise typer.BadParameter(f"family must be one of {', '.join(FAMILIES)}", param_hint="--family")
        name = model or the_run.tag
        stats = ds.validate()
        payload["run_id"] = record_run(
            db_path(db),
            model=ModelRow(name=name, family=family, kind=None, provenance="self-reported"),
            dataset=ds,
            stats=stats,
            run=the_run,
            evaluation=result,
            timings=Timings(eval_s=eval_s, total_s=eval_s),
            started_at=started,
            provenance="self-reported",
        )
    if json_out:
        emit_json(payload)
        return
    out.print(
        table(
            f"{run_file} on {ds.name} ({ds.split}, {ds.content_hash[:12]})",
            ["metric", "value"],
            [[k, v] for k, v in result.aggregate.items()],
        )
    )
    out.print(
        f"{result.evaluated_queries}/{result.judged_queries} judged queries answered"
        + (f"; recorded as run {payload['run_id']}" if record else "")
    )


@app.command()
def results(
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="Only this dataset (name or content hash).")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Table of recorded runs: model, nDCG@10, R@100, R@1000, wall time."""
    from bench.store.db import open_read_only
    from bench.store.runs import results_table

    with open_read_only(db_path(db)) as con:
        df = results_table(con, dataset=dataset, model=model)
    if json_out:
        emit_json(json.loads(df.to_json(orient="records", date_format="iso")))
        return
    if df.empty:
        out.print("no recorded runs" + (f" for dataset {dataset}" if dataset else ""))
        return
    cols = ["model", "dataset", "provenance", "nDCG@10", "R@100", "R@1000", "wall_s", "run_id"]
    out.print(
        table(
            f"Recorded runs ({db_path(db)})",
            ["model", "dataset", "provenance", "nDCG@10", "R@100", "R@1000", "wall s", "run"],
            df[cols].values.tolist(),
        )
    )


@db_app.command("migrate")
def db_migrate(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date."""
    from bench.store.db import migrate, open_writer, schema_version

    with open_writer(db_path(db)) as con:
        applied = migrate(con)
        version = schema_version(con)
    out.print(f"{db_path(db)}: schema version {version}" + (f" (applied {applied})" if applied else " (up to date)"))
