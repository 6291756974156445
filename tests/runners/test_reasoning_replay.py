"""`bench reproduce --replay-thoughts`: a reasoning run whose generator is not deterministic is still checked exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bench.datasets import resolve_dataset
from bench.datasets.beir import Dataset
from bench.execute import execute_run
from bench.specs import load_spec
from tests.clihelp import bench
from tests.runners.conftest import reply
from tests.runners.test_reasoning import QUERIES, _write_spec, adi6  # noqa: F401  (the fixture)


def test_replayed_thoughts_reproduce_a_run_that_regenerating_cannot(
    adi6: Dataset,  # noqa: F811
    tmp_path: Path,
    scripted,
    db_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, handler = scripted
    handler.script = [(200, reply(f"thought {i} about indexing and retrieval", 6)) for i in range(QUERIES)]
    path = _write_spec(tmp_path, "replayed", endpoint={"url": url, "concurrency": 1, "retries": 0})
    summary, _, _ = execute_run(load_spec(path), adi6, db_path, spec_path=path)
    assert len(handler.seen) == QUERIES
    data = yaml.safe_load(path.read_text())
    data["expected"] = [{"dataset": str(adi6.path), "hash": adi6.content_hash, "metrics": summary.metrics}]
    data["tolerance"] = {"default": 0.0}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "fresh-cache"))  # nothing from the first run's thought cache

    # the generator now writes other thoughts: regenerating drifts (FAIL), replaying the logged ones does not
    handler.script = [(200, reply("something else entirely", 3)) for _ in range(QUERIES)]
    replayed = bench(capsys, "reproduce", path, "-d", adi6.path, "--db", db_path, "--replay-thoughts", "--json")
    assert replayed.code == 0, replayed.err
    (result,) = replayed.json()
    assert result["verdict"] == "OK" and result["mode"] == f"replayed thoughts of run {summary.run_id}"
    assert len(handler.seen) == QUERIES  # no generation request was made
    regenerated = bench(capsys, "reproduce", path, "-d", adi6.path, "--no-record", "--json")
    assert regenerated.code == 8 and json.loads(regenerated.out)[0]["mode"] == "generated"
    assert len(handler.seen) == 2 * QUERIES


def test_replay_needs_logged_thoughts(tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import ROOT

    r = bench(capsys, "reproduce", ROOT / "models" / "o1-smollm2-minilm.yaml", "-d", "adi", "--db", db_path, "--replay-thoughts")
    assert r.code == 8 and "needs the database that holds the logged thoughts" in r.out
    assert bench(capsys, "run", ROOT / "models" / "bm25-flat.yaml", "-d", "adi", "--db", db_path).code == 0
    r = bench(capsys, "reproduce", ROOT / "models" / "o1-smollm2-minilm.yaml", "-d", "adi", "--db", db_path, "--replay-thoughts")
    assert r.code == 8 and "logged thoughts" in r.out and "bench run" in r.out
    r = bench(capsys, "reproduce", ROOT / "models" / "bm25-flat.yaml", "-d", "adi", "--db", db_path, "--replay-thoughts", "--json")
    assert r.code == 8 and "logged thoughts" in r.json()[0]["problem"]
    assert resolve_dataset("adi").content_hash  # the data was there all along: the problem is the missing log
