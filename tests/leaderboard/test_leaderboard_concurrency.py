"""The leaderboard keeps serving while another process writes the same DuckDB file (one writer or many readers)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from lbdb import Built
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "leaderboard" / "app.py"
ROOT = APP.parents[1]

WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    from bench.datasets import resolve_dataset
    from bench.evaluation import evaluate
    from bench.execute import record, run_record
    from bench.identity import LOCAL, synthetic_identity
    from bench.store.models import ModelRow
    from bench.types import Run, Timings

    db, n, ack = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    ds = resolve_dataset("adi")
    stats, qrels = ds.validate(), ds.qrels()
    for i in range(n):
        run = Run.from_scores({q: {d: r + 0.01 * i for d, r in docs.items()} for q, docs in qrels.items()}, tag=f"w{i}")
        name = f"writer-{i:02d}"
        record(db, run_record(model=ModelRow(name, "dense", None), dataset=ds, stats=stats, run=run,
               evaluation=evaluate(run, qrels), timings=Timings(), started_at=datetime.now(UTC).replace(tzinfo=None),
               writer=LOCAL, spec_hash=synthetic_identity(name, "dense", "run-file")))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the reader has seen this run, so every state is observed
            if ack.exists() and int(ack.read_text() or 0) >= i + 1:
                break
            time.sleep(0.02)
    print("done", flush=True)
    """
)

LOCKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from bench.store.db import open_writer
    with open_writer(Path(sys.argv[1])) as con:
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _models_shown(at: AppTest) -> list[str]:
    for df in at.dataframe:
        if {"Rank", "Model"} <= set(df.value.columns):
            return list(df.value["Model"])
    raise AssertionError("no overview table")


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_reader_keeps_serving_while_a_writer_records_runs(leaderboard_db: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "results.duckdb"
    shutil.copy(leaderboard_db.db, db)
    monkeypatch.setenv("BENCH_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    base = len(_models_shown(at))
    n = 8
    ack = tmp_path / "ack"
    writer = _spawn(WRITER, str(db), str(n), str(ack))
    seen: list[int] = []
    try:
        deadline = time.monotonic() + 240
        while writer.poll() is None and time.monotonic() < deadline:
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            count = len(_models_shown(at))
            seen.append(count)
            ack.write_text(str(count - base))
    finally:
        if writer.poll() is None:
            writer.kill()
        out, err = writer.communicate(timeout=30)
    assert writer.returncode == 0 and "done" in out, err
    at.run()
    assert len(_models_shown(at)) == base + n
    assert seen == sorted(seen)  # never a partial or rolled-back state
    assert set(range(base + 1, base + n)) <= set(seen)  # every intermediate state was served while the writer worked


def test_a_read_waits_for_the_writer_lock_instead_of_failing(
    leaderboard_db: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "locked.duckdb"  # a path this process never read: the render must open the file
    shutil.copy(leaderboard_db.db, db)
    monkeypatch.setenv("BENCH_DB", str(db))
    hold = 2.0
    locker = _spawn(LOCKER, str(db), str(hold))
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        t0 = time.perf_counter()
        at = AppTest.from_file(str(APP), default_timeout=60).run()
        waited = time.perf_counter() - t0
    finally:
        locker.communicate(timeout=30)
    assert locker.returncode == 0
    assert not at.exception and not at.error
    assert "bm25-flat" in _models_shown(at)
    assert waited > hold / 2  # it retried until the writer let go, rather than erroring at once
