"""Reasoning embedders (O1 Embedder style): a generator writes a thought about each query before it is embedded.

For each query the generator (``generator:`` in the spec, a local causal LM or an OpenAI-compatible
endpoint, see :mod:`bench.runners.generators`) writes ``thoughts`` texts from ``prompt`` (default
``<query>{query}</query><thought>``, as in arXiv 2502.07555); each ``join``-ed "query + thought" is
embedded by the dense embedder of ``weights``, the L2-normalised vectors are averaged (optionally with
the plain query's vector) and normalised again, and the corpus is searched exactly as the dense runner
does. Documents are embedded without thoughts, through the dense runner's code and embedding cache
(same keys: a reasoning spec and a dense spec with the same embedder share corpus vectors).

Thoughts are cached per query on disk (:mod:`bench.runners.thought_cache`) as soon as they are written,
so an interrupted run resumes where it stopped. Every thought of a run is returned in
:attr:`RunOutput.thoughts` and recorded with the run. ``thoughts: 0`` is the no-thought ablation: the
plain query vector, no generator.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bench.datasets.beir import Dataset
from bench.errors import RunnerUnavailable
from bench.provenance import json_sha256
from bench.runners.base import Progress, RunOutput
from bench.runners.dense import DenseParams, DenseRunner
from bench.runners.embedding_cache import CachedEmbeddings
from bench.runners.generators import Decoding, Generated, Generator, OpenAIGenerator, TransformersGenerator
from bench.runners.thought_cache import ThoughtCache, thought_key
from bench.specs import ModelSpec, spec_error
from bench.types import Query, Thought
from bench.weights import resolve_weights

SAMPLE_THOUGHTS = 5
"""How many thoughts the run's cost keeps as samples for the leaderboard's Model page."""


class EndpointParams(BaseModel):
    """An OpenAI-compatible endpoint that serves the spec's generator (``params.endpoint``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(pattern=r"^https?://")
    """API root, e.g. ``http://127.0.0.1:8000/v1``."""
    model: str | None = None
    """The request's ``model`` field; default: the generator's id."""
    api_key_env: str | None = None
    """Environment variable that holds the API key (read per request, never stored); None sends none."""
    timeout_s: float = Field(60.0, gt=0)
    """Deadline of one request: connect and the whole reply (not each socket read)."""
    stage_timeout_s: float = Field(3600.0, gt=0)
    """Deadline of the whole generation stage of one dataset (all requests, retries included)."""
    retries: int = Field(3, ge=0, le=10)
    concurrency: int = Field(4, gt=0, le=64)


class ReasoningParams(DenseParams):
    """Parameters of the reasoning runner: the dense embedder's, plus how thoughts are written and used."""

    thoughts: int = Field(1, ge=0, le=64)
    """Thoughts per query; 0 embeds the plain query (the no-thought ablation)."""
    prompt: str = "<query>{query}</query><thought>"
    """What the generator is asked; ``{query}`` is replaced by the query text."""
    chat_template: bool = True
    """Send the prompt as the user's turn of the generator's chat template (chat completions); false: raw completion."""
    decoding: Decoding = Decoding()
    join: str = "{query} {thought}"
    """The text embedded for each thought; ``{query}`` and ``{thought}`` are replaced."""
    include_query: bool = False
    """Average the plain query's vector in with the thoughts' vectors."""
    generation_batch_size: int = Field(16, gt=0)
    """Prompts per generation call (local backend: one padded batch; endpoint: requests per round)."""
    generation_threads: int | None = Field(None, gt=0, le=256)
    """torch threads while generating locally (None: torch's default, one per core). Reference specs use 1: greedy
    thoughts then do not depend on the machine's core count, and on a busy shared machine one thread generated
    about 4x faster than two (threads waiting for each other at every step)."""
    endpoint: EndpointParams | None = None
    """Generate through an OpenAI-compatible endpoint instead of loading the generator locally."""

    @field_validator("prompt")
    @classmethod
    def _prompt_has_query(cls, v: str) -> str:
        if "{query}" not in v:
            raise ValueError("the prompt must contain {query}, where the query text goes")
        return v

    @field_validator("join")
    @classmethod
    def _join_has_thought(cls, v: str) -> str:
        if "{thought}" not in v:
            raise ValueError("join must contain {thought} (and usually {query}), e.g. '{query} {thought}'")
        return v


class ReasoningRunner(DenseRunner):
    """Generator -> thoughts (cached) -> "query + thought" vectors averaged -> exact search over dense corpus vectors."""

    kind = "reasoning"
    Params: ClassVar[type[ReasoningParams]] = ReasoningParams
    params: ReasoningParams

    def __init__(self, spec: ModelSpec, source: str = "<spec>") -> None:
        super().__init__(spec, source)
        p = self.params
        if p.thoughts > 0 and spec.generator is None:
            raise spec_error(
                source, "generator", "params.thoughts > 0 needs a generator: {id: ..., revision: ..., gguf_file: ...}; or set thoughts: 0"
            )
        if p.thoughts == 0 and spec.generator is not None:
            raise spec_error(source, "generator", "params.thoughts is 0, so the generator is never used; remove it or set thoughts >= 1")
        if p.decoding.mode == "greedy" and p.thoughts > 1:
            raise spec_error(
                source, "params.thoughts", "greedy decoding writes the same thought every time; set thoughts: 1 or decoding.mode: sample"
            )
        self.thought_cache = ThoughtCache()
        self.replay: dict[str, list[Thought]] | None = None
        """Thoughts to use instead of generating (``bench reproduce --replay-thoughts``): query id -> its thoughts."""
        self._generator: Generator | None = None
        self._generator_hash: str | None = None
        self._generator_source: str | None = None
        self._generator_path: Path | None = None
        self._thoughts: tuple[Thought, ...] = ()
        self._think: dict[str, Any] = {}

    # -- the generator --------------------------------------------------------------------------
    def generator_identity(self) -> dict[str, Any]:
        """What names the generator in thought-cache keys (resolves, and for a local model hashes, its weights)."""
        ref = self.spec.generator
        if ref is None:
            raise RuntimeError("no generator in this spec")
        if self.params.endpoint is not None:
            # an endpoint's weights cannot be hashed from here: the spec's pinned id, revision and sha256 name it
            self._generator_hash, self._generator_source = ref.sha256, f"endpoint:{self.params.endpoint.url}"
            # and the server: two servers of the same weights may still differ (their own quantisation, kernels, templates)
            e = self.params.endpoint
            return {
                "backend": "openai",
                "id": ref.id,
                "revision": ref.revision,
                "sha256": ref.sha256,
                "chat": self.params.chat_template,
                "endpoint": e.url,
                "model": e.model or ref.id,
            }
        w = resolve_weights(ref, self.source, field="generator")
        self._generator_hash, self._generator_source = w.sha256, w.source
        self._generator_path = w.path
        return {
            "backend": "transformers",
            "sha256": w.files_sha256,
            "chat": self.params.chat_template,
            "threads": self.params.generation_threads,
        }

    def generator(self, identity: dict[str, Any]) -> Generator:
        """The generator, built on first use (a fully cached run never loads it)."""
        if self._generator is None:
            p, ref = self.params, self.spec.generator
            if ref is None:
                raise RuntimeError("no generator in this spec")
            if p.endpoint is not None:
                e = p.endpoint
                self._generator = OpenAIGenerator(
                    e.url,
                    e.model or ref.id,
                    identity=identity,
                    chat=p.chat_template,
                    api_key_env=e.api_key_env,
                    timeout_s=e.timeout_s,
                    retries=e.retries,
                    concurrency=e.concurrency,
                    stage_timeout_s=e.stage_timeout_s,
                )
            else:
                if self._generator_path is None:
                    raise RuntimeError("generator_identity() resolves the generator's weights first")
                self._generator = TransformersGenerator(
                    self._generator_path,
                    sha256=identity["sha256"],
                    gguf_file=ref.gguf_file,
                    chat=p.chat_template,
                    batch_size=p.generation_batch_size,
                    device=p.device,
                    threads=p.generation_threads,
                )
        return self._generator

    def prompt_for(self, query: str) -> str:
        return self.params.prompt.replace("{query}", query)

    def think(self, queries: list[Query], progress: Progress) -> dict[str, list[Generated]]:
        """Every query's thoughts: from the replay log, else from the cache, else generated (and cached at once)."""
        p = self.params
        if self.replay is not None:
            missing = [q.id for q in queries if len(self.replay.get(q.id, [])) < p.thoughts]
            if missing:
                raise RunnerUnavailable(
                    f"the replayed run has no thoughts for {len(missing)} queries (first: {missing[0]}); replay the run of the same spec"
                )
            self._think = {"mode": "replayed", "generated": 0, "cached": 0}
            return {
                q.id: [
                    Generated(t.text, t.tokens, t.seconds, t.finish_reason)
                    for t in sorted(self.replay[q.id], key=lambda t: t.sample)[: p.thoughts]
                ]
                for q in queries
            }
        identity = self.generator_identity()
        keys = {q.id: thought_key(identity, self.prompt_for(q.text), p.decoding, p.thoughts) for q in queries}
        found: dict[str, list[Generated]] = {}
        for q in queries:
            hit = self.thought_cache.get(keys[q.id])
            if hit is not None and len(hit) == p.thoughts:
                found[q.id] = hit
        missing = [q for q in queries if q.id not in found]
        cached = len(found)
        # longest prompts first: batches of similar length pad less; the order is fixed by the texts alone
        missing.sort(key=lambda q: (-len(q.text), q.id))
        t = time.perf_counter()
        if missing:
            gen = self.generator(identity)
            if hasattr(gen, "begin_stage"):
                gen.begin_stage()
            step = p.generation_batch_size
            batches = [missing[i : i + step] for i in range(0, len(missing), step)]
            for batch in progress.track(batches, f"thinking about {len(missing)} queries", total=len(missing), units=len):
                written = gen.generate([self.prompt_for(q.text) for q in batch], p.decoding, p.thoughts)
                for q, thoughts in zip(batch, written, strict=True):
                    self.thought_cache.put(keys[q.id], thoughts, {"generator": identity, "decoding": p.decoding.key()})
                    found[q.id] = thoughts
            self._seconds["generator_load_s"] = float(getattr(gen, "load_s", 0.0))
        self._seconds["generate_s"] = time.perf_counter() - t - self._seconds.get("generator_load_s", 0.0)
        self._think = {"mode": "generated", "generated": len(missing), "cached": cached}
        return found

    # -- query vectors --------------------------------------------------------------------------
    def query_vectors(self, queries: list[Query], progress: Progress) -> tuple[CachedEmbeddings, bool]:
        p = self.params
        self._thoughts = ()
        if p.thoughts == 0:
            return super().query_vectors(queries, progress)
        thoughts = self.think(queries, progress)
        self._thoughts = tuple(
            Thought(q.id, i, g.text, g.tokens, g.seconds, g.finish_reason, q.text) for q in queries for i, g in enumerate(thoughts[q.id])
        )
        ids = [f"{t.query_id}\t{t.sample}" for t in self._thoughts]
        texts = [p.join.replace("{query}", q.text).replace("{thought}", g.text) for q in queries for g in thoughts[q.id]]
        w = self._weights
        if w is None:
            raise RuntimeError("weights are resolved in retrieve(); query vectors are not available before")
        parts = {"role": "query", "model": w.files_sha256, "queries": json_sha256([ids, texts]), **self.encoding_parts("query")}
        entry, cached = self._vectors(parts, lambda: (ids, texts), progress)
        vecs = _normalised(np.asarray(entry.arrays["embeddings"], dtype=np.float32))
        n = p.thoughts
        agg = vecs.reshape(len(queries), n, -1).sum(axis=1)
        if p.include_query:
            plain, plain_cached = super().query_vectors(queries, progress)
            agg += _normalised(np.asarray(plain.arrays["embeddings"], dtype=np.float32))
            cached = cached and plain_cached
        agg = _normalised(agg).astype(np.float32)
        return CachedEmbeddings(path=entry.path, ids=[q.id for q in queries], arrays={"embeddings": agg}, meta=entry.meta), cached

    def retrieve(self, dataset: Dataset, queries: list[Query], progress: Progress) -> RunOutput:
        self._think = {}
        out = super().retrieve(dataset, queries, progress)
        if self.params.thoughts == 0:
            return dataclasses.replace(out, cost={**out.cost, "thinking_tokens": 0, "thoughts_per_query": 0})
        th = self._thoughts
        tokens = sum(t.tokens for t in th)
        seconds = sum(t.seconds for t in th)
        n = max(1, len(queries))
        thinking_ms = 1000 * seconds / n
        cost = {
            **out.cost,
            "query_latency_ms": float(out.cost.get("query_latency_ms") or 0.0) + thinking_ms,
            "thinking_latency_ms": thinking_ms,
            "thinking_tokens": tokens,
            "thinking_tokens_per_query": tokens / n,
            "thoughts_per_query": self.params.thoughts,
            "generation_tokens_per_s": tokens / seconds if seconds > 0 else None,
            "thoughts_cut_at_max_new_tokens": sum(t.finish_reason == "length" for t in th),
            "thoughts_mode": self._think.get("mode"),
            "thoughts_generated_queries": self._think.get("generated"),
            "thoughts_cached_queries": self._think.get("cached"),
            "generator_sha256": self._generator_hash,
            "generator_source": self._generator_source,
            "sample_thoughts": [{"qid": t.query_id, "thought": t.text} for t in th if t.sample == 0][:SAMPLE_THOUGHTS],
        }
        timings = dataclasses.replace(
            out.timings, extra={**out.timings.extra, **{k: v for k, v in self._seconds.items() if k.startswith("generat")}}
        )
        return dataclasses.replace(out, cost=cost, timings=timings, thoughts=th, generator_hash=self._generator_hash)


def _normalised(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)
