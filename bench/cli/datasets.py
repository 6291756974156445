"""`bench datasets list|fetch|validate`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.cli.common import JsonOption, SplitOption, app, emit_json, err, out, table
from bench.errors import BenchError

datasets_app = typer.Typer(help="Find, fetch and validate datasets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")


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
        emit_json(rows)
        return
    listing = table(
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
    out.print(listing)
    for line in where_looked():
        out.print(line, markup=False, soft_wrap=True)


def where_looked() -> list[str]:
    """The lines that say where `bench datasets list` looked: each folder of the search path, in order, found or not."""
    from bench.datasets.registry import has_corpus
    from bench.paths import data_dir, data_path

    def found(folder: Path, origin: str) -> str:
        if not folder.exists():
            what = "missing"
        elif not folder.is_dir():
            what = "not a folder"
        else:
            n = sum(1 for child in folder.iterdir() if has_corpus(child))
            what = f"{n} dataset folder{'' if n == 1 else 's'}" if n else "no dataset folders (a BEIR folder has corpus.jsonl)"
        return f"  {folder}  ({origin}): {what}"

    lines = ["Looked for datasets in, in order:"]
    lines += [found(p, "BENCH_DATA_PATH") for p in data_path()]
    lines.append(found(data_dir(), "data dir: BENCH_DATA_DIR, else $BENCH_HOME/data; `bench datasets fetch` unpacks here"))
    if not os.environ.get("BENCH_DATA_PATH"):
        lines.append(
            "BENCH_DATA_PATH is not set (make sets it to ../shared/datasets): "
            "export BENCH_DATA_PATH=/path/to/datasets (':'-separated folders of BEIR folders) to run on collections you have"
        )
    return lines


@datasets_app.command("validate")
def datasets_validate(dataset: Annotated[str, typer.Argument(help="Name or path.")], split: SplitOption = "test") -> None:
    """Check a dataset folder line by line; report every problem at once, each with file:line and the fix."""
    from bench.datasets.registry import resolve_dataset
    from bench.errors import DatasetError

    ds = resolve_dataset(dataset, split)
    problems = ds.problems()
    if problems:
        for p in problems:
            err.print(f"  {p}", markup=False, soft_wrap=True)
        raise DatasetError(f"{ds.path}: {len(problems)} problem(s) listed above; fix them and validate again")
    stats = ds.validate()
    out.print(
        f"{ds.name} ({ds.path}) is valid: {stats.documents} documents, {stats.queries} queries ({stats.judged_queries} judged), {stats.qrels} judgments; content hash {ds.content_hash}"
    )
    known = ds.known
    same = known is not None and known.hash != ds.files_identity
    out.print(
        f"scoring identity {ds.scoring_hash}"
        + (f"; registered content of {known.dataset} ({known.split}, {known.source})" if known else "; no registered content")
        + ("; other bytes than the registered copy, the same data as parsed" if same else ""),
        markup=False,
        soft_wrap=True,
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
    from bench.datasets.contents import records_dir

    record = records_dir() / f"{name}.json"
    if record.is_file():
        out.print(f"file hashes recorded in {record}", markup=False, soft_wrap=True)
