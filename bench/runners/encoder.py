"""The shared base of encoder runners (dense bi-encoders, learned sparse): weights, cache, encode, search.

A run resolves the spec's weights (:mod:`bench.weights`), takes the corpus vectors from the embedding
cache or encodes them, does the same for the queries, and ranks with the subclass's search. The model
is loaded only when something has to be encoded: a fully cached re-run never loads it.

Texts are batched by their token count (longest first), one encoder call per batch.
sentence-transformers batches by character count, which pads 9-23% more tokens on these collections
(measured on cranfield, med, cisi, cacm, npl with the MiniLM tokenizer); vectors agree to ~1e-7.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from bench.datasets.beir import Dataset
from bench.provenance import json_sha256
from bench.runners.backends import CPU_ONLY, DEFAULT_BACKEND, Backend, apply_backend, backend_cost, backend_parts
from bench.runners.base import Params, Progress, Runner, RunOutput
from bench.runners.embedding_cache import CachedEmbeddings, EmbeddingCache, EntryWriter, cache_key
from bench.runners.executors import Executor, LocalExecutor, encode_plan, plan_parts
from bench.runners.search import TopK
from bench.specs import ModelSpec, spec_error
from bench.training.student import resolve_spec_weights
from bench.types import Query, Run, Timings
from bench.weights import ResolvedWeights

CHUNK_BATCHES = 64
"""Batches per progress step and per write to the cache: ``batch_size x CHUNK_BATCHES`` texts."""
_TOKENIZE_STEP = 4096


class EncoderParams(Params):
    """Parameters every encoder runner takes (``params:`` in the spec)."""

    query_prompt: str = ""
    """Prefix or instruction put before each query (e5: ``"query: "``; bge: its instruction); empty for none."""
    document_prompt: str = ""
    """Prefix put before each document (e5: ``"passage: "``); empty for none."""
    max_length: int | None = Field(None, gt=0)
    """Token limit per text; None keeps the model's own ``max_seq_length``."""
    batch_size: int = Field(32, gt=0)
    hits: int = Field(1000, gt=0, le=10000)
    title_sep: str = " "
    """How title and text are joined (BEIR: ``title + " " + text``, stripped)."""
    device: str | None = None
    """torch device; None lets sentence-transformers choose (CUDA when present, else CPU)."""
    trust_remote_code: bool = False
    """Run code shipped with the model. Never implied: set it in the spec only for a model you have read."""
    backend: Backend = DEFAULT_BACKEND
    """How the encoder computes: ``torch`` (as loaded, float32), ``torch-int8`` (PyTorch dynamic int8 quantisation of
    every Linear layer; CPU only), ``onnx`` (the transformer exported to ONNX once per weights and run by ONNX Runtime,
    float32, CPU only; dense bi-encoders) or ``onnx-int8`` (that export quantised by ONNX Runtime: int8 weights per
    output channel, dynamic activations; CPU only; dense bi-encoders). A variant with another backend is another spec: give it its own name."""

    @field_validator("backend")
    @classmethod
    def _backend_device(cls, v: str, info: ValidationInfo) -> str:
        device = info.data.get("device")
        if v in CPU_ONLY and device not in (None, "cpu"):
            raise ValueError(f"backend {v} runs on CPU only; remove params.device or set it to cpu")
        return v


class EncoderRunner(Runner):
    """Resolve weights -> corpus vectors (cached) -> query vectors (cached) -> exact search."""

    Params: ClassVar[type[Params]] = EncoderParams
    encoder_name: ClassVar[str]
    """Identifies the encoding procedure in cache keys (e.g. ``"sentence-transformers"``)."""

    def __init__(self, spec: ModelSpec, source: str = "<spec>") -> None:
        super().__init__(spec, source)
        if spec.weights is None:
            raise spec_error(source, "weights", f"kind '{self.kind}' needs weights: {{id: <hugging face id>, revision: <commit>}}")
        self.source = source
        self.cache = EmbeddingCache()
        self._model: Any = None
        self._weights: ResolvedWeights | None = None
        self._seconds: dict[str, float] = {}
        self.executor: Executor = LocalExecutor()
        """Who encodes the batch plan's shards (:mod:`bench.runners.executors`): local by default, or Ray."""
        self._backend_sha256: str | None = None

    # -- what a subclass provides ---------------------------------------------------------------
    @abstractmethod
    def model_class(self) -> type:
        """The sentence-transformers class that loads this kind (imported lazily)."""

    def load_model(self, weights: ResolvedWeights) -> Any:
        """Load the encoder from the resolved folder (offline; remote code only when the spec enables it)."""
        device = "cpu" if self.params.backend in CPU_ONLY else self.params.device
        model = self.model_class()(str(weights.path), device=device, trust_remote_code=self.params.trust_remote_code, local_files_only=True)
        if self.params.max_length is not None:
            model.max_seq_length = self.params.max_length
        model.eval()
        model, self._backend_sha256 = apply_backend(
            model, self.params.backend, weights_files_sha256=weights.files_sha256, threads=self.executor.effective_threads()
        )
        return model

    @abstractmethod
    def encode(self, texts: list[str], role: str) -> Any:
        """Vectors of one batch of ``texts``, in input order (one encoder call)."""

    @abstractmethod
    def shard_arrays(self, outputs: list[Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """One shard's batch outputs (:meth:`encode`) as named arrays (rows in plan order) and meta facts."""

    @abstractmethod
    def assemble(self, writer: EntryWriter, shards: list[CachedEmbeddings], n: int) -> None:
        """Write the entry of ``n`` texts from its shards (each has a ``rows`` array: corpus rows in plan order)."""

    @abstractmethod
    def search(self, queries: CachedEmbeddings, corpus: CachedEmbeddings, k: int, progress: Progress) -> Iterator[TopK]:
        """Rank corpus rows for each query row."""

    def encoding_parts(self, role: str) -> dict[str, Any]:
        """What the vectors of ``role`` ("document" or "query") depend on besides model and texts."""
        p = self.params
        return {
            "encoder": self.encoder_name,
            "prompt": p.document_prompt if role == "document" else p.query_prompt,
            "max_length": p.max_length,
            "title_sep": p.title_sep if role == "document" else None,
            "batch_plan": plan_parts(p.batch_size),
            **backend_parts(p.backend),
        }

    def extra_cost(self, corpus: CachedEmbeddings) -> dict[str, Any]:
        return {}

    # -- shared machinery -----------------------------------------------------------------------
    @property
    def model(self) -> Any:
        """The encoder, loaded on first use."""
        if self._model is None:
            if self._weights is None:
                raise RuntimeError("weights are resolved in retrieve(); the model is not available before")
            t = time.perf_counter()
            self._model = self.load_model(self._weights)
            self._seconds["model_load_s"] = time.perf_counter() - t
        return self._model

    def _vectors(
        self, parts: dict[str, Any], texts_of: Callable[[], tuple[list[str], list[str]]], progress: Progress
    ) -> tuple[CachedEmbeddings, bool]:
        """The cached entry keyed by ``parts``; on a miss, ``texts_of()`` gives (ids, texts) to encode and store.

        Returns (entry, whether it came from the cache).
        """
        key, role = cache_key(parts), parts["role"]
        t = time.perf_counter()
        entry = self.cache.load(key)
        if entry is not None:
            self._seconds[f"{role}_cache_load_s"] = time.perf_counter() - t
            return entry, True
        ids, texts = texts_of()
        model = self.model  # noqa: F841  (loaded outside the encoding time)
        t = time.perf_counter()
        order = np.argsort(-self.token_lengths(texts, role), kind="stable")
        with self.cache.writer(
            key, {"role": role, "model_id": self.spec.weights.id if self.spec.weights else None, "parts": parts}
        ) as writer:
            writer.set_ids(ids)
            encode_plan(self, writer, key, texts, order, role, progress)
            writer.meta["encode_s"] = time.perf_counter() - t  # kept so cached runs still report encoding cost
            writer.meta["backend_artefact_sha256"] = self._backend_sha256
        self._seconds[f"{role}_encode_s"] = time.perf_counter() - t
        entry = self.cache.load(key, count=False)
        if entry is None:
            raise OSError(f"embedding cache entry {self.cache.path(key)} was written but cannot be read back; check the disk")
        return entry, False

    def query_vectors(self, queries: list[Query], progress: Progress) -> tuple[CachedEmbeddings, bool]:
        """One row per query, in query order (from the cache, or encoded and cached); whether it came from the cache.

        A subclass that builds query vectors from more than the query text (a reasoning runner's thoughts) overrides this.
        """
        w = self._weights
        if w is None:
            raise RuntimeError("weights are resolved in retrieve(); query vectors are not available before")
        query_texts = [[q.id, q.text] for q in queries]
        query_parts = {"role": "query", "model": w.files_sha256, "queries": json_sha256(query_texts), **self.encoding_parts("query")}
        return self._vectors(query_parts, lambda: ([q.id for q in queries], [q.text for q in queries]), progress)

    def token_lengths(self, texts: list[str], role: str) -> np.ndarray:
        """Tokens per text as the model will see it (prompt included, truncated); characters without a tokenizer."""
        tokenizer = getattr(self.model, "tokenizer", None)
        if tokenizer is None:
            return np.array([len(t) for t in texts], dtype=np.int64)
        prompt = self.params.query_prompt if role == "query" else self.params.document_prompt
        limit = getattr(self.model, "max_seq_length", None)
        out = np.empty(len(texts), dtype=np.int64)
        for i in range(0, len(texts), _TOKENIZE_STEP):
            batch = [prompt + t for t in texts[i : i + _TOKENIZE_STEP]]
            ids = tokenizer(batch, truncation=limit is not None, max_length=limit, return_attention_mask=False, return_token_type_ids=False)
            out[i : i + len(batch)] = [len(x) for x in ids["input_ids"]]
        return out

    def chunks(self, order: np.ndarray) -> list[list[np.ndarray]]:
        """``order`` cut into batches, grouped into chunks of ``CHUNK_BATCHES`` batches."""
        size = self.params.batch_size
        batches = [order[i : i + size] for i in range(0, len(order), size)]
        return [batches[i : i + CHUNK_BATCHES] for i in range(0, len(batches), CHUNK_BATCHES)]

    def resolve_weights(self, progress: Progress) -> ResolvedWeights:
        """The spec's weights, resolved once per runner (verified against the spec's sha256 and revision)."""
        if self._weights is None:
            t0 = time.perf_counter()
            with progress.stage(f"resolving weights {self.spec.weights.id}"):
                self._weights = resolve_spec_weights(self.spec, self.source)
            self._seconds["weights_s"] = time.perf_counter() - t0
        return self._weights

    def embed_texts(self, texts: list[str], role: str, progress: Progress) -> tuple[CachedEmbeddings, bool]:
        """Vectors of ``texts`` (one row per text, in order) through the same encode path and embedding cache as a
        corpus: the same texts, model and params give the same entry, encoded once. ``role`` ("query" or "document")
        picks the prompt. Returns (entry, whether it came from the cache)."""
        w = self.resolve_weights(progress)
        parts = {"role": role, "model": w.files_sha256, "texts": json_sha256(texts), **self.encoding_parts(role)}
        return self._vectors(parts, lambda: ([str(i) for i in range(len(texts))], list(texts)), progress)

    def retrieve(self, dataset: Dataset, queries: list[Query], progress: Progress) -> RunOutput:
        self._seconds = {}
        self._weights = None
        w = self.resolve_weights(progress)

        corpus_parts = {"role": "document", "model": w.files_sha256, "corpus": dataset.corpus_hash, **self.encoding_parts("document")}

        def corpus_texts() -> tuple[list[str], list[str]]:
            docs = list(dataset.iter_corpus())
            return [d.id for d in docs], [d.joined(self.params.title_sep) for d in docs]

        corpus, corpus_cached = self._vectors(corpus_parts, corpus_texts, progress)

        qvecs, queries_cached = self.query_vectors(queries, progress)

        t = time.perf_counter()
        k = self.params.hits
        scores: dict[str, dict[str, float]] = {}
        for block in self.search(qvecs, corpus, k, progress):
            for row, (idx, vals) in enumerate(zip(block.indices.tolist(), block.scores.tolist(), strict=True)):
                # an approximate index may return fewer than k hits, padded with row -1
                scores[qvecs.ids[block.start + row]] = {corpus.ids[i]: s for i, s in zip(idx, vals, strict=True) if i >= 0}
        search_s = time.perf_counter() - t - self._seconds.get("index_s", 0.0)
        run = Run.from_scores(scores, depth=k, tag=self.spec.name)

        sec = self._seconds
        corpus_encode_s, query_encode_s = sec.get("document_encode_s", 0.0), sec.get("query_encode_s", 0.0)
        # Costs describe the model, not this run's cache luck: cached entries carry the encoding time measured when written.
        doc_s, query_s = float(corpus.meta.get("encode_s", corpus_encode_s)), float(qvecs.meta.get("encode_s", query_encode_s))
        cost: dict[str, Any] = {
            "weights_source": w.source,
            "corpus_cached": corpus_cached,
            "queries_cached": queries_cached,
            "index_bytes": corpus.nbytes,
            "query_latency_ms": 1000 * (query_s + search_s) / max(1, len(queries)),
            "encode_docs_per_s": len(corpus.ids) / doc_s if doc_s > 0 else None,
            **self.extra_cost(corpus),
            **self.executor.describe(),
            "corpus_cache_key": corpus.meta.get("key"),
            **backend_cost(self.params.backend, self._backend_sha256 or corpus.meta.get("backend_artefact_sha256")),
        }
        if self._model is not None:
            cost["device"] = str(getattr(self._model, "device", "cpu"))
        timings = Timings(
            index_s=sec.get("index_s", 0.0),
            encode_s=corpus_encode_s + query_encode_s,
            search_s=search_s,
            extra={name: v for name, v in sec.items() if name != "index_s"},
        )
        return RunOutput(run=run, timings=timings, cost=cost, weights_hash=w.sha256)
