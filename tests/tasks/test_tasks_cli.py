"""`bench tasks list|validate` on the shared task folders and on a hostile one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clihelp import bench
from tests.conftest import SHARED_TASKS

SHARED = SHARED_TASKS


def test_tasks_list_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_DATA_PATH", str(SHARED))
    r = bench(capsys, "tasks", "list", "--json")
    assert r.code == 0
    by = {row["name"]: row for row in r.json()}
    assert by["STS15"]["splits"] == {"test": 3000} and by["STS15"]["mteb_task"] == "STS15"
    assert by["MSRP"]["origin"] == "local" and by["Banking77"]["main_score"] == "accuracy"
    assert by["Banking77Clustering"]["origin"] == "derived" and by["Banking77Clustering"]["splits"] == {"test": 3080}


def test_tasks_validate_ok_and_hostile(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    r = bench(capsys, "tasks", "validate", str(SHARED / "STS16"))
    assert r.code == 0 and "valid STS task (mteb)" in r.out
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test.jsonl").write_text('{"sentence1": "a", "sentence2": "b", "score": 9}\n')
    r = bench(capsys, "tasks", "validate", str(tmp_path / "t"))
    assert r.code == 3 and len(r.err.strip().splitlines()) == 1 and "test.jsonl:1: score 9 is outside 0..5" in r.err
