"""Drift between two recorded runs on one dataset content: their corpus vectors (embedding cache) and their rankings.

Each encoder run records the key of the corpus entry it used (``cost.corpus_cache_key``); the vectors are read from
this machine's embedding cache under that key, the top-k lists from the ``rankings`` table. See
:mod:`bench.evaluation.drift` for the measures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from bench.evaluation.drift import RankDrift, VectorDrift, rank_drift, vector_drift
from bench.runners.embedding_cache import EmbeddingCache

DEPTH = 10


@dataclass(frozen=True)
class Drift:
    """Vector and ranking drift of run B against run A; ``vectors`` is None when they cannot be read (``why`` says why)."""

    ranks: RankDrift
    vectors: VectorDrift | None
    why: str | None = None


def stored_topk(con: duckdb.DuckDBPyConnection, run_id: str, k: int) -> dict[str, list[str]]:
    """qid -> the run's top ``k`` docids, best first, from the ``rankings`` table."""
    rows = con.execute("SELECT qid, docid FROM rankings WHERE run_id = ? AND rank <= ? ORDER BY qid, rank", [run_id, k]).fetchall()
    out: dict[str, list[str]] = {}
    for qid, docid in rows:
        out.setdefault(qid, []).append(docid)
    return out


def corpus_cache_keys(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> dict[str, str | None]:
    """run_id -> the embedding cache key of the corpus vectors the run used (None for runs that recorded none)."""
    out: dict[str, str | None] = {r: None for r in run_ids}
    for run_id, cost in con.execute(
        f"SELECT run_id, cost FROM runs WHERE run_id IN ({', '.join('?' for _ in run_ids)})", list(run_ids)
    ).fetchall():
        parsed = json.loads(cost) if isinstance(cost, str) else (cost or {})
        out[run_id] = parsed.get("corpus_cache_key") if isinstance(parsed, dict) else None
    return out


def run_drift(con: duckdb.DuckDBPyConnection, run_a: str, run_b: str, k: int = DEPTH, cache: EmbeddingCache | None = None) -> Drift:
    """Drift of ``run_b`` against ``run_a`` (two runs on the same dataset content)."""
    ranks = rank_drift(stored_topk(con, run_a, k), stored_topk(con, run_b, k), k)
    keys = corpus_cache_keys(con, (run_a, run_b))
    missing = [r for r in (run_a, run_b) if not keys[r]]
    if missing:
        return Drift(ranks, None, f"run {', '.join(missing)} recorded no corpus cache key (not an encoder run, or older than issue 12)")
    cache = cache or EmbeddingCache()
    entries = {r: cache.load(keys[r]) for r in (run_a, run_b)}  # type: ignore[arg-type]
    gone = [f"{r} ({keys[r]})" for r, e in entries.items() if e is None]
    if gone:
        return Drift(
            ranks, None, f"corpus vectors of run {', '.join(gone)} are not in the embedding cache {cache.root}; re-run to restore them"
        )
    ea, eb = entries[run_a], entries[run_b]
    if "embeddings" not in ea.arrays or "embeddings" not in eb.arrays:  # type: ignore[union-attr]
        return Drift(ranks, None, "cosines are measured between dense vectors; these runs cached sparse ones")
    try:
        vectors = vector_drift(ea.ids, ea.arrays["embeddings"], eb.ids, eb.arrays["embeddings"])  # type: ignore[union-attr]
    except ValueError as e:
        return Drift(ranks, None, str(e))
    return Drift(ranks, vectors)
