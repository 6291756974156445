"""Thoughts of reasoning-embedder runs: the write (inside the run's transaction) and the reads.

Every thought a run's generator wrote (query id, sample number, query text, thought text, tokens,
seconds, finish reason) is one row of ``thoughts``, written in the same transaction as the run
(:func:`insert_thoughts`, called from the run's insert path), so a run and its thoughts are recorded
together or not at all. The texts are model output: readers render them as plain text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import duckdb
import pandas as pd

from bench.types import Thought

_COLUMNS = ["run_id", "qid", "sample", "query", "text", "tokens", "seconds", "finish_reason"]


def insert_thoughts(con: duckdb.DuckDBPyConnection, run_id: str, thoughts: Sequence[Thought]) -> int:
    """Insert ``thoughts`` of ``run_id`` inside the caller's open transaction; returns the rows written."""
    if not thoughts:
        return 0
    frame = pd.DataFrame(
        [(run_id, t.query_id, t.sample, t.query, t.text, t.tokens, float(t.seconds), t.finish_reason) for t in thoughts],
        columns=_COLUMNS,
    )
    con.register("_thoughts", frame)
    try:
        con.execute(f"INSERT INTO thoughts ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} FROM _thoughts")
    finally:
        with contextlib.suppress(duckdb.Error):
            con.unregister("_thoughts")
    return len(frame)


def run_thoughts(con: duckdb.DuckDBPyConnection, run_id: str, qid: str | None = None) -> list[Thought]:
    """The thoughts of ``run_id`` (of one query when ``qid`` is given), by query id then sample."""
    sql = "SELECT qid, sample, text, tokens, seconds, finish_reason, query FROM thoughts WHERE run_id = ?"
    args: list[object] = [run_id]
    if qid is not None:
        sql += " AND qid = ?"
        args.append(qid)
    rows = con.execute(sql + " ORDER BY qid, sample", args).fetchall()
    return [Thought(str(q), int(s), str(t), int(n), float(sec), str(f), str(qt)) for q, s, t, n, sec, f, qt in rows]


def thought_counts(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[int, int]:
    """(queries, thoughts) recorded for ``run_id``; (0, 0) for a run without thoughts."""
    queries, total = con.execute("SELECT count(DISTINCT qid), count(*) FROM thoughts WHERE run_id = ?", [run_id]).fetchone() or (0, 0)
    return int(queries), int(total)


def replay_log(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, list[Thought]]:
    """``run_id``'s thoughts grouped by query id, in sample order (what ``--replay-thoughts`` feeds the runner)."""
    out: dict[str, list[Thought]] = {}
    for t in run_thoughts(con, run_id):
        out.setdefault(t.query_id, []).append(t)
    return out


def latest_thought_run(con: duckdb.DuckDBPyConnection, spec_hash: str, dataset_hash: str) -> str | None:
    """The most recent run of ``spec_hash`` on ``dataset_hash`` that recorded thoughts (what ``--replay-thoughts`` replays)."""
    row = con.execute(
        """SELECT r.run_id FROM runs r
           WHERE r.spec_hash = ? AND r.dataset_hash = ? AND EXISTS (SELECT 1 FROM thoughts t WHERE t.run_id = r.run_id)
           ORDER BY r.finished_at DESC LIMIT 1""",
        [spec_hash, dataset_hash],
    ).fetchone()
    return str(row[0]) if row else None
