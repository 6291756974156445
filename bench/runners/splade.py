"""Learned sparse retrieval (SPLADE) through ``sentence_transformers.SparseEncoder``.

Documents and queries become vocabulary-sized sparse vectors; documents are ranked by the exact
sparse dot product (scipy CSR, chunked, bounded memory). This was chosen over a Lucene impact
index (Pyserini ``LuceneImpactSearcher``) because the exact product scores exactly what the model
scores (no quantisation to integer impacts) and, on collections of this size, needs no index build:
``make bench`` measures both (section "SPLADE: exact sparse product vs Lucene impact index").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator

from bench.runners.base import Progress
from bench.runners.embedding_cache import CachedEmbeddings, EntryWriter
from bench.runners.encoder import EncoderParams, EncoderRunner
from bench.runners.search import TopK, sparse_topk


class SpladeParams(EncoderParams):
    max_active_dims: int | None = Field(None, gt=0)
    """Keep only the largest N weights of each vector (None: keep all non-zero weights)."""

    @field_validator("backend")
    @classmethod
    def _no_onnx(cls, v: str) -> str:
        if v in ("onnx", "onnx-int8"):
            raise ValueError(f"backend {v} exports a dense encoder's token embeddings, not SPLADE's MLM logits; use torch or torch-int8")
        return v


def to_csr(tensor: Any):
    """A torch sparse (COO) tensor or a dense tensor/array -> scipy CSR float32."""
    import scipy.sparse as sp
    import torch

    if isinstance(tensor, torch.Tensor) and tensor.is_sparse:
        t = tensor.coalesce().cpu()
        rows, cols = t.indices().numpy()
        return sp.csr_matrix((t.values().numpy().astype(np.float32), (rows, cols)), shape=tuple(t.shape))
    dense = tensor.cpu().numpy() if isinstance(tensor, torch.Tensor) else np.asarray(tensor)
    return sp.csr_matrix(dense.astype(np.float32))


def csr_of(entry: CachedEmbeddings):
    """The cached sparse vectors of ``entry`` as a scipy CSR matrix."""
    import scipy.sparse as sp

    a = entry.arrays
    return sp.csr_matrix((a["data"], a["indices"], a["indptr"]), shape=(len(entry.ids), int(entry.meta["vocab_size"])))


class SpladeRunner(EncoderRunner):
    """SPLADE-style sparse encoder + exact sparse dot product."""

    kind = "splade"
    Params: ClassVar[type[SpladeParams]] = SpladeParams
    encoder_name = "sentence-transformers-sparse"
    params: SpladeParams

    def model_class(self) -> type:
        from sentence_transformers import SparseEncoder

        return SparseEncoder

    def encoding_parts(self, role: str) -> dict[str, Any]:
        return {**super().encoding_parts(role), "max_active_dims": self.params.max_active_dims}

    def encode(self, texts: list[str], role: str):
        """Sparse vectors of ``texts`` (scipy CSR, float32), in input order."""
        p = self.params
        fn = self.model.encode_query if role == "query" else self.model.encode_document
        out = fn(
            texts,
            prompt=p.query_prompt if role == "query" else p.document_prompt,
            batch_size=p.batch_size,
            convert_to_tensor=True,
            convert_to_sparse_tensor=True,
            max_active_dims=p.max_active_dims,
            show_progress_bar=False,
        )
        return to_csr(out)

    def shard_arrays(self, outputs: list[Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        import scipy.sparse as sp

        m = sp.vstack(outputs, format="csr")
        m.sort_indices()
        arrays = {"data": m.data.astype(np.float32), "indices": m.indices.astype(np.int32), "indptr": m.indptr.astype(np.int64)}
        return arrays, {"vocab_size": int(m.shape[1])}

    def assemble(self, writer: EntryWriter, shards: list[CachedEmbeddings], n: int) -> None:
        import scipy.sparse as sp

        vocab = int(shards[0].meta["vocab_size"]) if shards else 0
        parts = [csr_of(s) for s in shards]
        stacked = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, 0), dtype=np.float32)
        rows = np.concatenate([np.asarray(s.arrays["rows"]) for s in shards]) if shards else np.zeros(0, dtype=np.int64)
        inverse = np.empty(n, dtype=np.int64)
        inverse[rows] = np.arange(n)
        matrix = stacked[inverse].tocsr()  # back to the original row order
        matrix.sort_indices()
        writer.put("data", matrix.data.astype(np.float32))
        writer.put("indices", matrix.indices.astype(np.int32))
        writer.put("indptr", matrix.indptr.astype(np.int64))
        writer.meta["vocab_size"] = vocab

    def search(self, queries: CachedEmbeddings, corpus: CachedEmbeddings, k: int, progress: Progress) -> Iterator[TopK]:
        return sparse_topk(csr_of(queries), csr_of(corpus), k)

    def extra_cost(self, corpus: CachedEmbeddings) -> dict[str, Any]:
        n = max(1, len(corpus.ids))
        return {"avg_doc_terms": float(len(corpus.arrays["data"]) / n), "vocab_size": int(corpus.meta["vocab_size"])}
