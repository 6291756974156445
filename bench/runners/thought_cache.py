"""On-disk cache of generated thoughts: one entry per query, published atomically as soon as it is generated.

This is the embedding cache (:class:`bench.runners.embedding_cache.EmbeddingCache`) under another root
(``<cache>/thoughts``): the same temporary folder + fsync + one ``os.replace``, checksums, and damaged
entries read as misses. An entry holds one query's thoughts as a JSON document (its rows are the sample
numbers). A run killed half-way through generation keeps every entry published before the kill, so the
next run generates only the missing queries' thoughts; a finished run's re-run generates nothing.

The key (:func:`thought_key`) is a hash of the generator (its sha256 and backend), the exact prompt it
was given (template filled with the query text), the decoding settings (seed included when sampling),
the number of thoughts, and the generation libraries' versions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.paths import cache_dir
from bench.runners.embedding_cache import EmbeddingCache, cache_key
from bench.runners.generators import Decoding, Generated

DOCUMENT = "thoughts"


def thought_key(generator: dict[str, Any], prompt: str, decoding: Decoding, samples: int) -> str:
    """Cache key of the ``samples`` thoughts ``generator`` writes for ``prompt`` under ``decoding``."""
    return cache_key({"role": "thoughts", "generator": generator, "prompt": prompt, "decoding": decoding.key(), "samples": samples})


class ThoughtCache:
    """Thought entries under ``root`` (default: ``<bench cache>/thoughts``)."""

    def __init__(self, root: Path | None = None) -> None:
        self.entries = EmbeddingCache(root or cache_dir() / "thoughts", kind="thoughts")

    @property
    def root(self) -> Path:
        return self.entries.root

    def get(self, key: str) -> list[Generated] | None:
        """The cached thoughts for ``key``, or None (a miss or a damaged entry)."""
        entry = self.entries.load(key, mmap=False)
        if entry is None or DOCUMENT not in entry.documents:
            return None
        try:
            return [
                Generated(str(t["text"]), int(t["tokens"]), float(t["seconds"]), str(t["finish_reason"])) for t in entry.documents[DOCUMENT]
            ]
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, key: str, thoughts: list[Generated], meta: dict[str, Any] | None = None) -> None:
        """Publish one query's thoughts (atomically; a concurrent writer's equivalent entry may win)."""
        with self.entries.writer(key, meta) as writer:
            writer.set_ids([str(i) for i in range(len(thoughts))])
            writer.put_json(
                DOCUMENT, [{"text": t.text, "tokens": t.tokens, "seconds": t.seconds, "finish_reason": t.finish_reason} for t in thoughts]
            )

    def keys(self) -> list[str]:
        """Keys of the published entries (for tests and cache maintenance)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))
