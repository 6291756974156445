"""The ``bench`` command line: the only place that prints, exits, and maps BenchError to exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table

from bench.errors import BenchError

app = typer.Typer(
    help="brewbench: reproducible retrieval and embedding benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
datasets_app = typer.Typer(help="Find, fetch and validate datasets.", no_args_is_help=True)
db_app = typer.Typer(help="Maintain the results database.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")
app.add_typer(db_app, name="db")

_WIDE = None if sys.stdout.isatty() else 200  # pipes and CI logs get whole tables, not ellipses
out = Console(highlight=False, width=_WIDE)
err = Console(stderr=True, highlight=False)

DbOption = Annotated[
    Path | None, typer.Option("--db", help="Results database (default: $BENCH_DB or ./results.duckdb).", show_default=False)
]
DatasetOption = Annotated[
    str, typer.Option("--dataset", "-d", help="Registered dataset name, a folder on the data path, or a path to a BEIR folder.")
]
SplitOption = Annotated[str, typer.Option("--split", help="qrels split.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else.")]


def _db(db: Path | None) -> Path:
    from bench.paths import default_db

    return db or default_db()


@contextmanager
def _stdout_to_stderr(active: bool) -> Iterator[None]:
    """Send everything written to fd 1 (Java included) to stderr while ``active``; restores fd 1 after."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(c, justify="right" if c[:1].isupper() and "@" in c else "left")
    for r in rows:
        table.add_row(*(_fmt(v) for v in r))
    return table


# ---------------------------------------------------------------------------------------------- datasets
@datasets_app.command("list")
def datasets_list(
    json_out: JsonOption = False,
    hashes: Annotated[bool, typer.Option("--hash/--no-hash", help="Compute content hashes of local copies.")] = True,
) -> None:
    """Known datasets: name, counts, where found on the data path, content hash."""
    from bench.datasets.registry import find_local, known, known_datasets, local_dataset_names, resolve_dataset

    names = [d.name for d in known_datasets()] + [n for n in local_dataset_names() if known(n) is None]
    rows = []
    for name in names:
        entry = known(name)
        folder = find_local(name)
        row: dict[str, Any] = {
            "name": name,
            "collection": entry.collection if entry else "local",
            "documents": entry.documents if entry else None,
            "queries": entry.queries if entry else None,
            "qrels": None,
            "found": str(folder) if folder else None,
            "hash": None,
            "fetchable": bool(entry and entry.fetchable),
        }
        if folder is not None:
            ds = resolve_dataset(name)
            try:
                stats = ds.validate()
                row.update(documents=stats.documents, queries=stats.judged_queries, qrels=stats.qrels)
                if hashes:
                    row["hash"] = ds.content_hash
            except BenchError as e:
                row["error"] = str(e)
        rows.append(row)
    if json_out:
        _emit_json(rows)
        return
    table = _table(
        "Datasets (test split)",
        ["name", "collection", "docs", "queries", "qrels", "found at", "content hash"],
        [
            [
                r["name"],
                r["collection"],
                r["documents"],
                r["queries"],
                r["qrels"],
                r["found"] or ("fetchable" if r["fetchable"] else "not found"),
                (r["hash"] or "")[:12],
            ]
            for r in rows
        ],
    )
    out.print(table)
    out.print(
        "Data path: " + os.pathsep.join(str(p) for p in __import__("bench.datasets.registry", fromlist=["search_path"]).search_path())
    )


@datasets_app.command("validate")
def datasets_validate(dataset: Annotated[str, typer.Argument(help="Name or path.")], split: SplitOption = "test") -> None:
    """Check a dataset folder line by line; report the first problem with file:line and the fix."""
    from bench.datasets.registry import resolve_dataset

    ds = resolve_dataset(dataset, split)
    stats = ds.validate()
    out.print(
        f"{ds.name} ({ds.path}) is valid: {stats.documents} documents, {stats.queries} queries ({stats.judged_queries} judged), {stats.qrels} judgments; content hash {ds.content_hash}"
    )


@datasets_app.command("fetch")
def datasets_fetch(
    name: Annotated[str, typer.Argument(help="A registered dataset name (see `bench datasets list`).")],
    dest: Annotated[Path | None, typer.Option(help="Folder to unpack into (default: the data dir).")] = None,
    url: Annotated[str | None, typer.Option(help="Download from this mirror instead (checksum still verified).")] = None,
) -> None:
    """Download a BEIR zip, verify its md5, unpack atomically into the data dir."""
    from rich.progress import DownloadColumn, TransferSpeedColumn
    from rich.progress import Progress as Bar

    from bench.datasets.fetch import fetch
    from bench.datasets.registry import known
    from bench.errors import DatasetError
    from bench.paths import data_dir

    entry = known(name)
    if entry is None:
        raise DatasetError(f"unknown dataset '{name}'; see `bench datasets list` for registered names")
    with Bar(*Bar.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"fetching {name}", total=entry.size_bytes)

        def report(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total or entry.size_bytes)

        folder = fetch(entry, dest or data_dir(), report, url=url)
    out.print(f"{name}: {folder}")


# ---------------------------------------------------------------------------------------------- run / eval
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
    with _stdout_to_stderr(json_out):
        summary, result, _ = execute_run(model, ds, _db(db) if record else None, source=str(spec), progress=RichProgress(err))
        if output:
            write_trec_run(result.run, output, tag=model.name)
    if json_out:
        _emit_json(summary.as_json())
        return
    t = summary.timings
    rows = [[k, v] for k, v in summary.metrics.items()]
    out.print(_table(f"{summary.model} on {summary.dataset} ({summary.split}, {summary.dataset_hash[:12]})", ["metric", "value"], rows))
    out.print(
        f"run {summary.run_id}: {summary.evaluated_queries}/{summary.judged_queries} judged queries; index {t.index_s:.2f}s, encode {t.encode_s:.2f}s, search {t.search_s:.2f}s, total {t.total_s:.2f}s"
        + (f"; recorded in {_db(db)}" if record else "")
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
    family: Annotated[str, typer.Option(help="Model family when recording.")] = "lexical",
) -> None:
    """Evaluate a TREC run file against a dataset's qrels (and record it with --record)."""
    import time
    from datetime import UTC, datetime

    from bench.datasets.registry import resolve_dataset
    from bench.evaluation.evaluate import evaluate
    from bench.evaluation.trec import read_trec_run
    from bench.execute import record as record_run
    from bench.specs import FAMILIES
    from bench.store.writes import ModelRow
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
        if family not in FAMILIES:
            raise typer.BadParameter(f"family must be one of {', '.join(FAMILIES)}", param_hint="--family")
        name = model or the_run.tag
        stats = ds.validate()
        payload["run_id"] = record_run(
            _db(db),
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
        _emit_json(payload)
        return
    out.print(
        _table(
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
    from bench.store import queries
    from bench.store.db import open_read_only

    with open_read_only(_db(db)) as con:
        df = queries.results_table(con, dataset=dataset, model=model)
    if json_out:
        _emit_json(json.loads(df.to_json(orient="records", date_format="iso")))
        return
    if df.empty:
        out.print("no recorded runs" + (f" for dataset {dataset}" if dataset else ""))
        return
    cols = ["model", "dataset", "provenance", "nDCG@10", "R@100", "R@1000", "wall_s", "run_id"]
    out.print(
        _table(
            f"Recorded runs ({_db(db)})",
            ["model", "dataset", "provenance", "nDCG@10", "R@100", "R@1000", "wall s", "run"],
            df[cols].values.tolist(),
        )
    )


@db_app.command("migrate")
def db_migrate(db: DbOption = None) -> None:
    """Create the database or bring its schema up to date."""
    from bench.store.db import migrate, open_writer, schema_version

    with open_writer(_db(db)) as con:
        applied = migrate(con)
        version = schema_version(con)
    out.print(f"{_db(db)}: schema version {version}" + (f" (applied {applied})" if applied else " (up to date)"))


# ---------------------------------------------------------------------------------------------- demo
@app.command()
def demo(
    models: Annotated[Path, typer.Option(help="Folder of reference specs.")] = Path("models"),
    db: DbOption = None,
    rerun: Annotated[bool, typer.Option("--rerun", help="Run again even when the same spec already ran on the same data.")] = False,
) -> None:
    """Run every reference spec on the demo datasets (fetching SciFact if no local data), then print the results."""
    from bench.demo import pairs, plan
    from bench.execute import execute_run
    from bench.progress import RichProgress
    from bench.store import queries
    from bench.store.db import open_read_only

    path = _db(db)
    p = plan(models)
    if p.fetched:
        out.print("no local datasets on the data path: fetched SciFact")
    todo = list(pairs(p))
    out.print(f"demo: {len(p.specs)} specs x {len(p.datasets)} datasets -> {path}")
    for i, (spec_path, spec, ds) in enumerate(todo, start=1):
        if not rerun and path.is_file():
            with open_read_only(path) as con:
                if queries.has_run(con, spec.spec_hash, ds.content_hash):
                    out.print(f"[{i}/{len(todo)}] {spec.name} on {ds.name}: already recorded")
                    continue
        summary, _, _ = execute_run(spec, ds, path, source=str(spec_path), progress=RichProgress(err))
        out.print(
            f"[{i}/{len(todo)}] {spec.name} on {ds.name}: nDCG@10 {summary.metrics['nDCG@10']:.4f}  R@100 {summary.metrics['R@100']:.4f}  ({summary.timings.total_s:.1f}s)"
        )
    results(dataset=None, model=None, db=path, json_out=False)


# ---------------------------------------------------------------------------------------------- entry point
def main(argv: list[str] | None = None) -> int:
    """Console-script entry: run the app, turn BenchError into a one-line message and an exit code."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="bench")
        return int(result) if isinstance(result, int) else 0
    except BenchError as e:
        err.print(f"error: {e}", markup=False, soft_wrap=True)
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.exceptions.Abort:
        err.print("aborted", markup=False)
        return 130
    except click.ClickException as e:
        e.show(file=sys.stderr)
        return e.exit_code


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
