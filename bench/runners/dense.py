"""Dense bi-encoders through sentence-transformers: exact inner-product search, or a FAISS index.

Any ``SentenceTransformer`` model works; what differs between models (prompts, normalisation,
max length) comes from the spec's ``params``. Corpus vectors are cached (see
:mod:`bench.runners.embedding_cache`), so a second run on the same corpus only encodes what changed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from bench.errors import RunnerUnavailable
from bench.runners.base import Progress
from bench.runners.embedding_cache import CachedEmbeddings, EntryWriter
from bench.runners.encoder import EncoderParams, EncoderRunner
from bench.runners.search import CORPUS_CHUNK, QUERY_CHUNK, SEARCH_SHARD_ROWS, TopK, row_shards, sharded_dense_topk


class DenseParams(EncoderParams):
    normalize: bool = True
    """L2-normalise vectors (inner product = cosine). Models with a Normalize module are normalised anyway."""
    dtype: Literal["float32", "float16"] = "float32"
    """Storage type of cached vectors; scores are always computed in float32."""
    index: Literal["exact", "faiss-flat", "faiss-hnsw"] = "exact"
    """``exact``: chunked exact search in bounded memory. ``faiss-flat``: FAISS exact inner product.
    ``faiss-hnsw``: approximate HNSW graph for large corpora."""
    hnsw_m: int = Field(32, gt=1)
    ef_construction: int = Field(200, gt=0)
    ef_search: int = Field(256, gt=0)


class DenseRunner(EncoderRunner):
    """Sentence-transformers bi-encoder + exact (or FAISS) inner-product search."""

    kind = "dense"
    Params: ClassVar[type[DenseParams]] = DenseParams
    encoder_name = "sentence-transformers"
    params: DenseParams

    def model_class(self) -> type:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer

    def encoding_parts(self, role: str) -> dict[str, Any]:
        return {**super().encoding_parts(role), "normalize": self.params.normalize, "dtype": self.params.dtype}

    def encode(self, texts: list[str], role: str) -> np.ndarray:
        """Vectors of ``texts`` as the spec says (prompt, normalisation), float32, in input order."""
        p = self.params
        fn = self.model.encode_query if role == "query" else self.model.encode_document
        return fn(
            texts,
            prompt=p.query_prompt if role == "query" else p.document_prompt,
            batch_size=p.batch_size,
            normalize_embeddings=p.normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def shard_arrays(self, outputs: list[Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {"embeddings": np.concatenate(outputs).astype(self.params.dtype, copy=False)}, {}

    def assemble(self, writer: EntryWriter, shards: list[CachedEmbeddings], n: int) -> None:
        out: np.ndarray | None = None
        for shard in shards:
            vectors = shard.arrays["embeddings"]
            if out is None:
                out = writer.create("embeddings", (n, vectors.shape[1]), self.params.dtype)
            out[np.asarray(shard.arrays["rows"])] = vectors
        if out is None:
            writer.put("embeddings", np.zeros((0, 0), dtype=self.params.dtype))

    def search(self, queries: CachedEmbeddings, corpus: CachedEmbeddings, k: int, progress: Progress) -> Iterator[TopK]:
        q, c = queries.arrays["embeddings"], corpus.arrays["embeddings"]
        if self.params.index == "exact":
            shards = row_shards(c.shape[0])
            self._search_facts = {
                "search": "exact-sharded",
                "search_shards": len(shards),
                "search_shard_rows": SEARCH_SHARD_ROWS,
                "search_chunk": [QUERY_CHUNK, CORPUS_CHUNK],
            }
            return sharded_dense_topk(q, [(s, c[s:e]) for s, e in shards], k)
        return self._faiss_search(q, c, k)

    def _faiss_search(self, q: np.ndarray, c: np.ndarray, k: int) -> Iterator[TopK]:
        try:
            import faiss
        except ImportError as e:
            raise RunnerUnavailable("params.index: faiss-* needs the faiss-cpu package; run `make setup`") from e
        t = time.perf_counter()
        dim = c.shape[1]
        if self.params.index == "faiss-hnsw":
            index = faiss.IndexHNSWFlat(dim, self.params.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = self.params.ef_construction
        else:
            index = faiss.IndexFlatIP(dim)
        shards = row_shards(c.shape[0], 65536)  # built shard by shard: one shard widened to float32 at a time
        for s, e in shards:
            index.add(np.ascontiguousarray(c[s:e], dtype=np.float32))
        self._search_facts = {"search": self.params.index, "index_built_from_shards": len(shards), "faiss_version": faiss.__version__}
        if self.params.index == "faiss-hnsw":
            index.hnsw.efSearch = max(self.params.ef_search, k)
        self._seconds["index_s"] = time.perf_counter() - t
        k = min(k, c.shape[0])

        def blocks() -> Iterator[TopK]:
            for qs in range(0, q.shape[0], QUERY_CHUNK):
                scores, idx = index.search(np.ascontiguousarray(q[qs : qs + QUERY_CHUNK], dtype=np.float32), k)
                yield TopK(qs, idx.astype(np.int64), scores.astype(np.float32))

        return blocks()

    def extra_cost(self, corpus: CachedEmbeddings) -> dict[str, Any]:
        emb = corpus.arrays["embeddings"]
        return {"dimension": int(emb.shape[1]) if emb.ndim == 2 else None, "index": self.params.index, **getattr(self, "_search_facts", {})}
