"""Counts of cache hits in this process, so a verdict can say whether it read any cache (``bench reproduce --fresh``).

Every cache that can stand in for computation (embedding entries, training stages, Lucene indexes, thoughts)
calls :func:`record` when it serves a hit; :func:`snapshot` and :func:`since` give what a piece of work read.
"""

from __future__ import annotations

from collections import Counter

_HITS: Counter[str] = Counter()


def record(kind: str) -> None:
    """Count one hit of the cache ``kind`` (``embeddings``, ``lucene-index``, ``thoughts``, ``training:<stage>``)."""
    _HITS[kind] += 1


def snapshot() -> dict[str, int]:
    """The hits counted so far, by kind."""
    return dict(_HITS)


def since(before: dict[str, int]) -> dict[str, int]:
    """The hits counted after ``before`` (a :func:`snapshot`), by kind; kinds with none are left out."""
    return {k: n - before.get(k, 0) for k, n in _HITS.items() if n - before.get(k, 0) > 0}
