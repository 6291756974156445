"""Lucene BM25 through Pyserini: "flat" (title+text in one field) and "multifield" (title separate)."""

from __future__ import annotations

import os
import time

from pydantic import Field

from bench.datasets.beir import Dataset
from bench.runners.base import Params, Progress, Runner, RunOutput
from bench.runners.java import bootstrap
from bench.runners.lucene_index import build_or_reuse, index_size
from bench.runners.lucene_search import BM25Searcher
from bench.types import Query, Run, Timings

BATCH = 64


class BM25Params(Params):
    k1: float = Field(0.9, gt=0)
    b: float = Field(0.4, ge=0, le=1)
    hits: int = Field(1000, gt=0, le=10000)
    fields: dict[str, float] | None = None
    """Multifield search weights, e.g. ``{contents: 1.0, title: 1.0}``; None for a flat index."""


class LuceneBM25Runner(Runner):
    """BM25 over an Anserini index of the BEIR corpus (``BeirFlatCollection`` or ``BeirMultifieldCollection``)."""

    kind = "lucene-bm25"
    Params = BM25Params

    def _index_args(self) -> tuple[dict, list[str]]:
        multifield = self.params.fields is not None
        extra = [f for f in (self.params.fields or {}) if f != "contents"]
        config = {
            "name": "multifield" if multifield else "flat",
            "collection": "BeirMultifieldCollection" if multifield else "BeirFlatCollection",
            "fields": extra,
        }
        args = ["-collection", config["collection"], "-generator", "DefaultLuceneDocumentGenerator", "-storePositions", "-storeDocvectors"]
        if extra:
            args += ["-fields", *extra]
        return config, args

    def retrieve(self, dataset: Dataset, queries: list[Query], progress: Progress) -> RunOutput:
        bootstrap()
        config, args = self._index_args()
        t0 = time.perf_counter()
        with progress.stage(f"indexing {dataset.name} ({config['name']})"):
            index, reused = build_or_reuse(dataset.corpus_path, dataset.corpus_hash, config, args)
        index_s = time.perf_counter() - t0

        threads = max(1, os.cpu_count() or 1)
        scores: dict[str, dict[str, float]] = {}
        t1 = time.perf_counter()
        batches = [queries[i : i + BATCH] for i in range(0, len(queries), BATCH)]
        with BM25Searcher(index, self.params.k1, self.params.b, self.params.fields) as searcher:
            for batch in progress.track(batches, f"searching {len(queries)} queries", total=len(queries), units=len):
                scores.update(searcher.batch_search(batch, self.params.hits, threads))
        search_s = time.perf_counter() - t1
        run = Run.from_scores(scores, depth=self.params.hits, tag=self.spec.name)
        cost = {
            "index_bytes": index_size(index),
            "index_reused": reused,
            "query_latency_ms": 1000 * search_s / max(1, len(queries)),
            "search_threads": threads,
        }
        return RunOutput(run=run, timings=Timings(index_s=0.0 if reused else index_s, search_s=search_s), cost=cost)
