"""Exact top-k search by inner product, in bounded memory.

Scores are computed one (query chunk x corpus chunk) block at a time and folded into a running top-k
per query, so peak memory is ``query_chunk x (corpus_chunk + k)`` scores, whatever the number of
queries or documents. Dense corpora may be memory-mapped (``np.load(mmap_mode="r")``) and stored as
float16: each block is read and widened to float32 on its own. Sparse corpora are scipy CSR matrices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

QUERY_CHUNK = 256
CORPUS_CHUNK = 16384
SEARCH_SHARD_ROWS = 64 * CORPUS_CHUNK
"""Corpus rows per search shard: each shard's exact top-k is computed on its own, then the shards' lists are merged."""


@dataclass(frozen=True)
class TopK:
    """Best ``k`` rows of the corpus for queries ``start .. start + len(indices)``, best first."""

    start: int
    indices: np.ndarray  # (queries, k) int64 corpus rows
    scores: np.ndarray  # (queries, k) float32


def _merge(best_s: np.ndarray, best_i: np.ndarray, block: np.ndarray, offset: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Fold a (queries x chunk) score block into the running top-k."""
    if block.shape[1] > k:
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        block_s = np.take_along_axis(block, part, axis=1)
        block_i = part.astype(np.int64) + offset
    else:
        block_s = block
        block_i = np.broadcast_to(np.arange(offset, offset + block.shape[1], dtype=np.int64), block.shape)
    cand_s = np.concatenate([best_s, block_s], axis=1)
    cand_i = np.concatenate([best_i, block_i], axis=1)
    if cand_s.shape[1] > k:
        part = np.argpartition(-cand_s, k - 1, axis=1)[:, :k]
        cand_s = np.take_along_axis(cand_s, part, axis=1)
        cand_i = np.take_along_axis(cand_i, part, axis=1)
    return cand_s, cand_i


def _fold(best_s: np.ndarray, best_i: np.ndarray, cand_s: np.ndarray, cand_i: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge two candidate lists (same queries) into the best ``k``."""
    s, i = np.concatenate([best_s, cand_s], axis=1), np.concatenate([best_i, cand_i], axis=1)
    if s.shape[1] > k:
        part = np.argpartition(-s, k - 1, axis=1)[:, :k]
        s, i = np.take_along_axis(s, part, axis=1), np.take_along_axis(i, part, axis=1)
    return s, i


def _best_first(qs: int, best_s: np.ndarray, best_i: np.ndarray) -> TopK:
    # best first; among equal scores, the lower corpus row first (stable, deterministic)
    order = np.lexsort((best_i, -best_s), axis=1) if best_s.size else np.empty(best_s.shape, dtype=np.int64)
    return TopK(qs, np.take_along_axis(best_i, order, axis=1), np.take_along_axis(best_s, order, axis=1))


def _blocks(
    score: Callable[[int, int, int, int], np.ndarray],
    n_queries: int,
    n_docs: int,
    k: int,
    query_chunk: int,
    corpus_chunk: int,
) -> Iterator[TopK]:
    k = min(k, n_docs)
    for qs in range(0, n_queries, query_chunk):
        qe = min(qs + query_chunk, n_queries)
        best_s = np.empty((qe - qs, 0), dtype=np.float32)
        best_i = np.empty((qe - qs, 0), dtype=np.int64)
        for cs in range(0, n_docs, corpus_chunk):
            ce = min(cs + corpus_chunk, n_docs)
            block = score(qs, qe, cs, ce)
            np.nan_to_num(block, copy=False, nan=-np.inf)
            best_s, best_i = _merge(best_s, best_i, block, cs, k)
        yield _best_first(qs, best_s, best_i)


def dense_topk(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    *,
    query_chunk: int = QUERY_CHUNK,
    corpus_chunk: int = CORPUS_CHUNK,
) -> Iterator[TopK]:
    """Exact inner-product top-``k`` of ``queries`` (n x d) against ``corpus`` (N x d), chunk by chunk."""
    if queries.ndim != 2 or corpus.ndim != 2 or queries.shape[1] != corpus.shape[1]:
        raise ValueError(f"dimension mismatch: queries {queries.shape}, corpus {corpus.shape}")

    def score(qs: int, qe: int, cs: int, ce: int) -> np.ndarray:
        q = np.asarray(queries[qs:qe], dtype=np.float32)
        return q @ np.asarray(corpus[cs:ce], dtype=np.float32).T

    return _blocks(score, queries.shape[0], corpus.shape[0], k, query_chunk, corpus_chunk)


def sparse_topk(
    queries,  # scipy.sparse CSR (n x V)
    corpus,  # scipy.sparse CSR (N x V)
    k: int,
    *,
    query_chunk: int = QUERY_CHUNK,
    corpus_chunk: int = CORPUS_CHUNK,
) -> Iterator[TopK]:
    """Exact sparse dot-product top-``k`` (SPLADE scoring without quantisation), chunk by chunk."""
    if queries.shape[1] != corpus.shape[1]:
        raise ValueError(f"vocabulary mismatch: queries {queries.shape}, corpus {corpus.shape}")

    def score(qs: int, qe: int, cs: int, ce: int) -> np.ndarray:
        block = corpus[cs:ce] @ queries[qs:qe].T  # (docs x queries), sparse
        return np.asarray(block.T.toarray(), dtype=np.float32)

    return _blocks(score, queries.shape[0], corpus.shape[0], k, query_chunk, corpus_chunk)


def row_shards(n: int, rows: int = SEARCH_SHARD_ROWS) -> list[tuple[int, int]]:
    """``[start, end)`` row ranges of ``rows`` rows covering ``n`` corpus rows."""
    return [(start, min(start + rows, n)) for start in range(0, n, rows)]


def sharded_dense_topk(
    queries: np.ndarray,
    shards: Sequence[tuple[int, np.ndarray]],
    k: int,
    *,
    query_chunk: int = QUERY_CHUNK,
    corpus_chunk: int = CORPUS_CHUNK,
) -> Iterator[TopK]:
    """Exact top-``k`` over a corpus held in shards: ``(first row, vectors)`` pairs (row ranges of one memory-mapped
    array, or separate files). Each shard's top-``k`` is computed chunk by chunk (:func:`dense_topk`) and the lists are
    merged per query chunk, so memory is bounded by the chunks and ``k``, not by the corpus or the number of shards.
    Same rows as :func:`dense_topk` over the concatenated corpus; bit-identical scores when every shard starts at a
    multiple of ``corpus_chunk`` (the same matrix products), else equal to float32 rounding.
    """
    total = sum(part.shape[0] for _, part in shards)
    k = min(k, total)
    for qs in range(0, queries.shape[0], query_chunk):
        qe = min(qs + query_chunk, queries.shape[0])
        best_s = np.empty((qe - qs, 0), dtype=np.float32)
        best_i = np.empty((qe - qs, 0), dtype=np.int64)
        for offset, part in shards:
            if part.shape[0] == 0 or k == 0:
                continue
            (block,) = dense_topk(queries[qs:qe], part, k, query_chunk=qe - qs, corpus_chunk=corpus_chunk)
            best_s, best_i = _fold(best_s, best_i, block.scores, block.indices + offset, k)
        yield _best_first(qs, best_s, best_i)
