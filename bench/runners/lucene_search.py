"""BM25 search over an Anserini index with the Java calls Pyserini's ``LuceneSearcher`` makes.

``pyserini.search.lucene`` imports torch, transformers and onnxruntime (its dense searchers) before it
can return a BM25 hit; a BM25 run needs none of them. This module drives the same Anserini
``SimpleSearcher`` from Pyserini's jar (``set_bm25``, ``batch_search``, ``batch_search_fields``) directly,
so scores are identical to ``LuceneSearcher`` (tests and ``make bench`` check it against Pyserini's CLI).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from bench.runners.java import autoclass
from bench.types import Query


class BM25Searcher:
    """A context-managed Anserini ``SimpleSearcher`` with BM25(k1, b), optionally over several fields."""

    def __init__(self, index: Path, k1: float, b: float, fields: dict[str, float] | None = None) -> None:
        self._searcher = autoclass("io.anserini.search.SimpleSearcher")(str(index))
        self._searcher.set_bm25(float(k1), float(b))
        self._fields = None
        if fields:
            jfloat = autoclass("java.lang.Float")
            self._fields = autoclass("java.util.HashMap")()
            for name, boost in fields.items():
                self._fields.put(name, jfloat(float(boost)))

    def batch_search(self, queries: list[Query], k: int, threads: int) -> dict[str, dict[str, float]]:
        """``qid -> {docid: score}`` for the top ``k`` of each query."""
        array_list = autoclass("java.util.ArrayList")
        texts, qids = array_list(), array_list()
        for q in queries:
            texts.add(q.text)
            qids.add(q.id)
        if self._fields is None:
            results = self._searcher.batch_search(texts, qids, int(k), int(threads))
        else:
            results = self._searcher.batch_search_fields(texts, qids, int(k), int(threads), self._fields)
        out: dict[str, dict[str, float]] = {q.id: {} for q in queries}
        for entry in results.entrySet().toArray():
            out[entry.getKey()] = {hit.docid: float(hit.score) for hit in entry.getValue()}
        return out

    def close(self) -> None:
        self._searcher.close()

    def __enter__(self) -> BM25Searcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
