"""`bench thoughts show` / `bench thoughts export` against a real DuckDB file holding a run's thoughts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.store.db import open_writer, transaction
from bench.store.thoughts import insert_thoughts
from bench.types import Thought
from tests.clihelp import bench

THOUGHTS = [
    Thought("7", 0, "[bold red]not markup[/bold red] \x1b[31m plain", 12, 0.5, "stop", "what is [b]seven[/b]?"),
    Thought("7", 1, "another view of seven", 32, 0.75, "length", "what is [b]seven[/b]?"),
    Thought("9", 0, "nine", 3, 0.125, "stop", "nine?"),
]


@pytest.fixture
def thoughts_db(db_path: Path) -> Path:
    with open_writer(db_path) as con, transaction(con, "test"):
        insert_thoughts(con, "run-a", THOUGHTS)
    return db_path


def test_show_prints_the_query_and_each_thought_as_plain_text(capsys: pytest.CaptureFixture[str], thoughts_db: Path) -> None:
    r = bench(capsys, "thoughts", "show", "--run", "run-a", "--query", "7", "--db", thoughts_db)
    assert r.code == 0, r.err
    assert "query 7: what is [b]seven[/b]?" in r.out
    assert "[bold red]not markup[/bold red]" in r.out and "\x1b" not in r.out  # model output: no markup, escapes shown
    assert "another view of seven" in r.out and "length" in r.out and "nine" not in r.out
    j = bench(capsys, "thoughts", "show", "--run", "run-a", "--query", "7", "--db", thoughts_db, "--json").json()
    assert [t["sample"] for t in j["thoughts"]] == [0, 1] and j["thoughts"][0]["thought"] == THOUGHTS[0].text
    assert j["thoughts"][1] == {
        "qid": "7",
        "sample": 1,
        "query": THOUGHTS[1].query,
        "thought": THOUGHTS[1].text,
        "tokens": 32,
        "seconds": 0.75,
        "finish_reason": "length",
    }


def test_show_names_what_is_missing(capsys: pytest.CaptureFixture[str], thoughts_db: Path) -> None:
    r = bench(capsys, "thoughts", "show", "--run", "run-a", "--query", "8", "--db", thoughts_db)
    assert r.code != 0 and "run run-a has thoughts for 2 queries, not for query 8" in r.err
    r = bench(capsys, "thoughts", "show", "--run", "nope", "--query", "7", "--db", thoughts_db)
    assert r.code != 0 and "run nope has no thoughts" in r.err and "bench results" in r.err


def test_export_writes_one_json_line_per_thought(capsys: pytest.CaptureFixture[str], thoughts_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "thoughts.jsonl"
    r = bench(capsys, "thoughts", "export", "--run", "run-a", "-o", target, "--db", thoughts_db)
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [(x["qid"], x["sample"]) for x in rows] == [("7", 0), ("7", 1), ("9", 0)]
    assert rows[0]["thought"] == THOUGHTS[0].text and rows[0]["run_id"] == "run-a" and rows[2]["tokens"] == 3
    assert "wrote 3 thoughts" in r.out
