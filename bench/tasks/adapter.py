"""Our encoder runners as an mteb encoder: mteb's evaluators ask for vectors, the runner's encode path answers.

mteb batches, prompts and evaluates; the texts it asks for go through :meth:`EncoderRunner.embed_texts` (token-length
batching, the embedding cache: the same texts, model and params are encoded once, whichever task or run asks).
A dense runner compares by cosine (as sentence-transformers' default), a SPLADE runner by the dot product of its
sparse vectors (mteb's own similarity functions either way).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.errors import RunnerUnavailable
from bench.runners.base import Progress, Runner


def task_encoder_problem(runner: Runner) -> str | None:
    """Why ``runner`` cannot run an embedding task (None: it can)."""
    from bench.runners.encoder import EncoderRunner

    if runner.kind == "reasoning":
        return (
            f"kind 'reasoning' ({runner.spec.name}) embeds a query with a thought about the information need behind it; "
            "an STS or classification text has no information need to reason about, so it runs retrieval only "
            "(run its embedder's own spec on tasks)"
        )
    if not isinstance(runner, EncoderRunner):
        return (
            f"kind '{runner.kind}' ({runner.spec.name}) ranks documents; a lexical runner has no embeddings, so it runs no embedding task"
        )
    return None


class MtebEncoder:
    """An ``mteb.models.EncoderProtocol`` backed by one of our encoder runners."""

    def __init__(self, runner: Any, progress: Progress, name: str, revision: str | None) -> None:
        problem = task_encoder_problem(runner)
        if problem:
            raise RunnerUnavailable(problem)
        self.runner = runner
        self.progress = progress
        self.sparse = runner.kind == "splade"
        self.texts_encoded = 0
        self.texts_cached = 0
        from mteb.models.model_meta import ModelMeta

        self._meta = ModelMeta.create_empty().model_copy(update={"name": name, "revision": revision or "unknown"})

    @property
    def mteb_model_meta(self) -> Any:
        return self._meta

    def encode(
        self, inputs: Any, *, task_metadata: Any = None, hf_split: str = "", hf_subset: str = "", prompt_type: Any = None, **kwargs: Any
    ) -> Any:
        texts = [t for batch in inputs for t in batch["text"]]
        role = "document" if str(getattr(prompt_type, "value", prompt_type)) == "document" else "query"
        entry, cached = self.runner.embed_texts(texts, role, self.progress)
        if cached:
            self.texts_cached += len(texts)
        else:
            self.texts_encoded += len(texts)
        if self.sparse:
            from bench.runners.splade import csr_of

            return csr_of(entry).toarray()
        return np.array(entry.arrays["embeddings"], dtype=np.float32)

    def similarity(self, embeddings1: Any, embeddings2: Any) -> Any:
        from mteb.similarity_functions import cos_sim, dot_score

        return (dot_score if self.sparse else cos_sim)(embeddings1, embeddings2)

    def similarity_pairwise(self, embeddings1: Any, embeddings2: Any) -> Any:
        from mteb.similarity_functions import pairwise_cos_sim, pairwise_dot_score

        return (pairwise_dot_score if self.sparse else pairwise_cos_sim)(embeddings1, embeddings2)
