"""Helpers of the submission tests: the example's location, row counts, editing run-file lines."""

from __future__ import annotations

from pathlib import Path

from bench.store.db import open_read_only
from bench.store.runs import count_rows
from tests.conftest import ROOT

EXAMPLE = ROOT / "submissions" / "acme-bm25plus"


def counts(db: Path) -> dict[str, int]:
    """Rows per table (every table, including submissions and reproductions)."""
    with open_read_only(db) as con:
        return count_rows(con)


def set_line(path: Path, n: int, text: str) -> None:
    """Replace line ``n`` (1-based) of a text file."""
    lines = path.read_text().splitlines()
    lines[n - 1] = text
    path.write_text("\n".join(lines) + "\n")
