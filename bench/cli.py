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
        if family is None or family not in FAMILIES:
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


# --- issue 4: leaderboard (the Streamlit app lives in leaderboard/app.py)
@app.command()
def leaderboard(
    db: DbOption = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 8501,
) -> int:
    """Serve the leaderboard on http://127.0.0.1:PORT (reads the database, never writes; Ctrl-C stops it)."""
    import subprocess

    from bench.store.db import open_read_only

    app_file = Path(__file__).resolve().parent.parent / "leaderboard" / "app.py"
    if not app_file.is_file():
        raise BenchError(f"{app_file}: the leaderboard app is not here; run `bench leaderboard` from a source checkout (pip install -e .)")
    path = _db(db).resolve()
    with open_read_only(path):  # fails now, with the fix, if the database is missing or too old
        pass
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_file), "--server.address", "127.0.0.1", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal", "--", "--db", str(path)]
    err.print(f"leaderboard on http://127.0.0.1:{port} (database {path}); Ctrl-C stops it", markup=False)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":  # become the server: signals (Ctrl-C, SIGTERM) reach it directly, no orphan is left behind
        os.execv(sys.executable, cmd)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 130


# --- issue 5: submissions and reproducibility checks (bench.submissions, bench.reproduction)
submit_app = typer.Typer(help="Validate, ingest and publish submissions (submissions/README.md).", no_args_is_help=True)
app.add_typer(submit_app, name="submit")


@contextmanager
def _listing_problems() -> Iterator[None]:
    """Print every problem a SubmissionError carries (stderr), then let main() report it and exit."""
    from bench.errors import SubmissionError

    try:
        yield
    except SubmissionError as e:
        for p in e.problems:
            err.print(f"  {p}", markup=False, soft_wrap=True)
        raise


@submit_app.command("validate")
def submit_validate(
    folders: Annotated[list[Path], typer.Argument(help="Submission folder(s), e.g. submissions/acme-bm25plus/.")],
    json_out: JsonOption = False,
) -> None:
    """Check submission.yaml, the run files and the optional spec; list every problem with file:line and the fix."""
    from bench.errors import SubmissionError
    from bench.submissions.validate import check_submission

    report, failed = [], []
    for folder in folders:
        sub, problems = check_submission(folder)
        report.append({"folder": str(folder), "valid": sub is not None, "problems": problems, "notes": sub.notes() if sub else []})
        if sub is None:
            failed.append(str(folder))
            if not json_out:
                err.print(f"{folder}: {len(problems)} problem(s)", markup=False, soft_wrap=True)
                for p in problems:
                    err.print(f"  {p}", markup=False, soft_wrap=True)
        elif not json_out:
            out.print(
                f"{folder}: valid submission '{sub.meta.name}' ({sub.meta.family}), {len(sub.runs)} run file(s)",
                markup=False,
                soft_wrap=True,
            )
            for note in sub.notes():
                out.print(f"  {note}", markup=False, soft_wrap=True)
    if json_out:
        _emit_json(report)
    if failed:
        raise SubmissionError(f"{len(failed)} of {len(folders)} submission(s) invalid: {', '.join(failed)}")


@submit_app.command("ingest")
def submit_ingest(
    folder: Annotated[Path, typer.Argument(help="A submission folder.")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Validate, evaluate against our qrels, and record a submission as self-reported (all or nothing)."""
    from bench.submissions.ingest import ingest
    from bench.submissions.validate import validate_submission

    with _listing_problems():
        sub = validate_submission(folder)
        done = ingest(sub, _db(db), status="self-reported")
    if json_out:
        _emit_json({"submission_id": done.submission_id, "status": done.status, "runs": done.runs})
        return
    rows = [[name, run_id, m.get("nDCG@10"), m.get("R@100"), m.get("R@1000")] for name, (run_id, m) in done.runs.items()]
    title = f"{done.submission_id}: {sub.meta.name} recorded as {done.status}"
    out.print(_table(title, ["dataset", "run", "nDCG@10", "R@100", "R@1000"], rows))
    for note in sub.notes():
        out.print(f"  {note}", markup=False, soft_wrap=True)


@submit_app.command("process-inbox")
def submit_process_inbox(
    db: DbOption = None,
    inbox: Annotated[Path | None, typer.Option(help="Inbox folder (default: $BENCH_INBOX or <bench home>/inbox).")] = None,
) -> None:
    """Ingest every upload waiting in the inbox as pending (rejected ones get problems.txt)."""
    from bench.submissions.inbox import inbox_dir, process_inbox

    where = inbox or inbox_dir()
    done = process_inbox(_db(db), where)
    if not done:
        out.print(f"{where}: nothing waiting", markup=False, soft_wrap=True)
    for p in done:
        if p.ingested:
            out.print(
                f"{p.submission_id}: pending review; publish it with `bench submit approve {p.submission_id}`", markup=False, soft_wrap=True
            )
        else:
            out.print(
                f"{p.submission_id}: rejected ({len(p.problems)} problem(s), see {p.folder / 'problems.txt'})", markup=False, soft_wrap=True
            )


@submit_app.command("approve")
def submit_approve(submission_id: Annotated[str, typer.Argument(help="The id `bench submit list` shows.")], db: DbOption = None) -> None:
    """Publish a pending submission (pending -> self-reported)."""
    from bench.submissions.ingest import approve

    model = approve(_db(db), submission_id)
    out.print(f"{submission_id}: {model} is published as self-reported", markup=False, soft_wrap=True)


@submit_app.command("list")
def submit_list(
    status: Annotated[str | None, typer.Option(help="Only this status (pending, self-reported, reproduced).")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Submissions in the database, newest first."""
    from bench.store import queries
    from bench.store.db import open_read_only

    with open_read_only(_db(db)) as con:
        df = queries.submissions_table(con, status)
    if json_out:
        _emit_json(json.loads(df.to_json(orient="records", date_format="iso")))
        return
    cols = ["submission_id", "model", "status", "runs", "received_at"]
    out.print(_table(f"Submissions ({_db(db)})", cols, df[cols].astype(str).values.tolist()))


def _diff(v: float | None) -> str:
    return "—" if v is None else ("0" if v == 0 else f"{v:+.2e}")


@app.command()
def reproduce(
    target: Annotated[Path | None, typer.Argument(help="A spec (models/NAME.yaml) or a submission folder with a spec.")] = None,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", "-d", help="Only these datasets (repeat the option).")] = None,
    all_specs: Annotated[bool, typer.Option("--all", help="Every spec in --models.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Only the small shared collections (what CI runs).")] = False,
    models: Annotated[Path, typer.Option("--models", help="Folder of reference specs for --all.")] = Path("models"),
    db: DbOption = None,
    record: Annotated[bool, typer.Option("--record/--no-record", help="Record the checks (and passing re-runs).")] = True,
    print_expected: Annotated[
        bool, typer.Option("--print-expected", help="Run TARGET on --dataset and print `expected:` entries for its YAML; no verdict.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Re-run and compare with expected scores: OK (exact), OKish (within tolerance), FAIL (beyond, either way)."""
    import yaml

    from bench.errors import ReproductionFailed
    from bench.progress import RichProgress
    from bench.reproduction import all_targets, measure_expected, publish_reproduced, reproduce, spec_targets, submission_targets

    progress = RichProgress(err)
    datasets = list(dataset or [])
    if print_expected:
        if target is None or not target.is_file() or not datasets:
            raise typer.BadParameter("--print-expected needs a spec file and at least one --dataset", param_hint="--print-expected")
        with _stdout_to_stderr(True):
            entries = measure_expected(target, datasets, progress)
        sys.stdout.write(yaml.safe_dump({"expected": entries}, sort_keys=False, width=1000))
        return
    if all_specs == (target is not None):
        raise typer.BadParameter("give a spec or a submission folder, or --all (not both)", param_hint="TARGET")
    with _listing_problems():
        if all_specs:
            targets = all_targets(models, quick)
        elif target is not None and target.is_dir():
            targets = submission_targets(target)
        elif target is not None:
            targets = spec_targets(target, datasets, quick)
    path = _db(db) if record else None
    results_ = []
    with _stdout_to_stderr(True):
        for t in targets:
            results_.append(reproduce(t, path, progress))
    notes = []
    sub = targets[0].submission if targets else None
    if sub is not None and path is not None:
        notes.append(publish_reproduced(path, sub, results_))
    failed = [r for r in results_ if r.verdict == "FAIL"]
    if json_out:
        _emit_json([r.as_json() for r in results_])
    else:
        table = Table(title="Reproduction: expected vs observed", title_justify="left")
        for c in ("model", "dataset", "metric", "expected", "observed", "diff", "tolerance", "verdict"):
            table.add_column(c, justify="right" if c in ("expected", "observed", "diff", "tolerance") else "left")
        for r in results_:
            if r.problem:
                table.add_row(r.target.spec.name, r.target.dataset_name, "—", "—", "—", "—", "—", "FAIL")
            for c in r.checks:
                values = (_fmt(c.expected), _fmt(c.observed), _diff(c.diff), "0" if c.tolerance == 0 else f"{c.tolerance:.1e}")
                table.add_row(r.target.spec.name, r.target.dataset_name, c.metric, *values, c.verdict)
        out.print(table)
        for r in results_:
            if r.problem:
                out.print(f"FAIL {r.target.spec.name} on {r.target.dataset_name}: {r.problem}", markup=False, soft_wrap=True)
        counts = {v: sum(r.verdict == v for r in results_) for v in ("OK", "OKish", "FAIL")}
        out.print(
            f"{len(results_)} reproduction(s): {counts['OK']} OK, {counts['OKish']} OKish, {counts['FAIL']} FAIL"
            + (f"; recorded in {path}" if path else ""),
            markup=False,
        )
        for note in notes:
            if note:
                out.print(note, markup=False, soft_wrap=True)
    if failed:
        worst = "; ".join(
            f"{r.target.spec.name} on {r.target.dataset_name}"
            + (f" ({', '.join(f'{c.metric} {_diff(c.diff)}' for c in r.checks if c.verdict == 'FAIL')})" if r.checks else "")
            for r in failed
        )
        raise ReproductionFailed(f"{len(failed)} of {len(results_)} reproduction(s) FAILED: {worst}")


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
