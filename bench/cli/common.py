"""Shared pieces of the command line: consoles, common options, JSON and table output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="brewbench: reproducible retrieval and embedding benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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


def db_path(db: Path | None) -> Path:
    from bench.paths import default_db

    return db or default_db()


@contextmanager
def stdout_to_stderr(active: bool) -> Iterator[None]:
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


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for c in columns:
        table.add_column(c, justify="right" if c[:1].isupper() and "@" in c else "left")
    for r in rows:
        table.add_row(*(fmt(v) for v in r))
    return table
