"""Run the real ``bench`` entry point in-process and capture what it prints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def bench(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def db_rows(db: Path, sql: str) -> list[tuple]:
    """Rows of ``sql`` from a results database, through a short read-only connection."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
