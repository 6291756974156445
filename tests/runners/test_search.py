"""Exact top-k search: same answer as a brute-force sort, any chunking, bounded memory."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from bench.runners.search import dense_topk, row_shards, sharded_dense_topk, sparse_topk


def _brute(q: np.ndarray, c: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    s = q.astype(np.float32) @ c.astype(np.float32).T
    idx = np.stack([np.lexsort((np.arange(len(row)), -row))[:k] for row in s])
    return idx, np.take_along_axis(s, idx, axis=1)


def _collect(blocks) -> tuple[np.ndarray, np.ndarray]:
    blocks = list(blocks)
    return np.concatenate([b.indices for b in blocks]), np.concatenate([b.scores for b in blocks])


@pytest.mark.parametrize(("k", "query_chunk", "corpus_chunk"), [(10, 7, 13), (5, 1000, 1000), (500, 16, 64), (3, 1, 1)])
def test_dense_topk_equals_brute_force(k: int, query_chunk: int, corpus_chunk: int) -> None:
    rng = np.random.default_rng(0)
    q, c = rng.standard_normal((40, 16)), rng.standard_normal((300, 16))
    idx, scores = _collect(dense_topk(q, c, k, query_chunk=query_chunk, corpus_chunk=corpus_chunk))
    want_idx, want_scores = _brute(q, c, min(k, 300))
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)


def test_ties_are_broken_by_corpus_row() -> None:
    c = np.ones((20, 4), dtype=np.float32)
    (block,) = dense_topk(np.ones((1, 4)), c, 5, corpus_chunk=3)
    assert block.indices.tolist() == [[0, 1, 2, 3, 4]]


def test_float16_corpus_is_scored_in_float32() -> None:
    rng = np.random.default_rng(1)
    q, c = rng.standard_normal((5, 8)).astype(np.float32), rng.standard_normal((50, 8)).astype(np.float16)
    idx, scores = _collect(dense_topk(q, c, 10, corpus_chunk=7))
    want_idx, want_scores = _brute(q, c.astype(np.float32), 10)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)
    assert scores.dtype == np.float32


def test_dimension_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="dimension mismatch"):
        dense_topk(np.ones((2, 3)), np.ones((4, 5)), 1)


def test_sparse_topk_equals_the_dense_product() -> None:
    q = sp.random(30, 500, density=0.05, format="csr", dtype=np.float32, random_state=2)
    c = sp.random(200, 500, density=0.05, format="csr", dtype=np.float32, random_state=3)
    idx, scores = _collect(sparse_topk(q, c, 25, query_chunk=8, corpus_chunk=50))
    _, want_scores = _brute(q.toarray(), c.toarray(), 25)
    # with many zero scores the order among ties may differ from brute force; the scores may not
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-6)
    dense = q.toarray() @ c.toarray().T
    np.testing.assert_allclose(np.take_along_axis(dense, idx, axis=1), scores, rtol=1e-5, atol=1e-6)


def _peak_search_bytes(n_queries: int, corpus: np.ndarray) -> int:
    queries = np.random.default_rng(5).standard_normal((n_queries, corpus.shape[1])).astype(np.float32)
    tracemalloc.start()
    tracemalloc.reset_peak()
    for _ in dense_topk(queries, corpus, 10, query_chunk=128, corpus_chunk=2048):
        pass  # results are consumed, as the runner consumes them
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_peak_memory_does_not_grow_with_queries() -> None:
    corpus = np.random.default_rng(4).standard_normal((8000, 32)).astype(np.float32)
    small, large = _peak_search_bytes(256, corpus), _peak_search_bytes(2560, corpus)
    naive_large = 2560 * 8000 * 4  # the full score matrix a one-shot search would hold
    assert large < 1.25 * small
    assert large < naive_large / 10


@pytest.mark.parametrize(("bounds", "aligned"), [([0, 300], True), ([0, 13, 156, 156, 300], True), ([0, 1, 7, 290, 300], False)])
def test_sharded_search_equals_one_pass(bounds: list[int], aligned: bool) -> None:
    """Shards cut at corpus-chunk boundaries give bit-identical scores (the same matrix products); others agree to
    float32 rounding (BLAS sums a product of another shape in another order) with the same rows."""
    rng = np.random.default_rng(6)
    q, c = rng.standard_normal((40, 16)).astype(np.float32), rng.standard_normal((300, 16)).astype(np.float32)
    shards = [(s, c[s:e]) for s, e in itertools.pairwise(bounds)]  # empty shards and shards smaller than k too
    want_idx, want_scores = _collect(dense_topk(q, c, 20, query_chunk=7, corpus_chunk=13))
    idx, scores = _collect(sharded_dense_topk(q, shards, 20, query_chunk=7, corpus_chunk=13))
    np.testing.assert_array_equal(idx, want_idx)
    if aligned:
        np.testing.assert_array_equal(scores, want_scores)
    else:
        np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)


def test_sharded_search_memory_is_bounded_in_corpus_size() -> None:
    rng = np.random.default_rng(7)
    queries = rng.standard_normal((512, 32)).astype(np.float32)
    corpus = rng.standard_normal((32000, 32)).astype(np.float32)

    def peak(n_docs: int) -> int:
        shards = [(s, corpus[s:e]) for s, e in row_shards(n_docs, 4000)]
        tracemalloc.start()
        tracemalloc.reset_peak()
        for _ in sharded_dense_topk(queries, shards, 10, query_chunk=128, corpus_chunk=2048):
            pass
        out = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return out

    small, large = peak(4000), peak(32000)  # 1 shard vs 8 shards: 8x the corpus
    assert large < 1.25 * small
    assert large < 512 * 32000 * 4 / 10  # far below the full score matrix
