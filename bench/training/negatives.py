"""Teacher fusion and adaptive-margin negative selection: small pure functions, tested as tables.

Fusion: each teacher's scores for one query's pairs are min-max normalised to [0, 1] (a teacher that
did not retrieve a document gives it the lowest score it gave that query), then averaged with the
teachers' weights. Selection (NV-Retriever's TopK-PercPos): for one (query, positive) example, the
candidates that are not positives are ranked by fused teacher score (ties: document id); a candidate
scoring above ``value`` x the positive's score is dropped as a likely false negative; the first
``k`` that remain are the example's negatives, and an example with fewer than ``k`` is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


def teacher_scores(ranked: Sequence[tuple[str, float]], docs: Iterable[str]) -> dict[str, float]:
    """A runner teacher's raw score for each of ``docs``: its run's score, or the lowest it gave the query when absent."""
    given = dict(ranked)
    floor = min(given.values()) if given else 0.0
    return {d: float(given.get(d, floor)) for d in docs}


def minmax(scores: Mapping[str, float]) -> dict[str, float]:
    """Scores mapped to [0, 1] (lowest 0, highest 1); a constant row carries no information and maps to 0."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi == lo:
        return dict.fromkeys(scores, 0.0)
    return {d: (s - lo) / (hi - lo) for d, s in scores.items()}


def fuse(per_teacher: Sequence[Mapping[str, float]], weights: Sequence[float]) -> dict[str, float]:
    """Weighted mean of the teachers' min-max normalised scores over the documents they all scored."""
    if len(per_teacher) != len(weights) or not per_teacher:
        raise ValueError("fuse needs one weight per teacher and at least one teacher")
    normed = [minmax(s) for s in per_teacher]
    total = float(sum(weights))
    docs = set(normed[0]).intersection(*normed[1:])
    return {d: sum(w * n[d] for w, n in zip(weights, normed, strict=True)) / total for d in sorted(docs)}


@dataclass(frozen=True)
class Example:
    """One training example: a query, one positive, ``k`` negatives, and the fused teacher score of each (positive first)."""

    collection: str
    qid: str
    positive: str
    negatives: tuple[str, ...]
    scores: tuple[float, ...]


@dataclass(frozen=True)
class Selection:
    """The examples of one query and what the margin rule did."""

    examples: tuple[Example, ...]
    kept: int
    """Negatives used in examples."""
    dropped: int
    """Candidates removed by the margin rule (summed over this query's positives)."""
    short: int
    """Examples dropped because fewer than ``k`` negatives passed the margin."""


def select_negatives(
    collection: str,
    qid: str,
    positives: Sequence[str],
    candidates: Sequence[str],
    fused: Mapping[str, float],
    *,
    relevant: Iterable[str] = (),
    k: int,
    margin: float | None,
) -> Selection:
    """Examples for one query: each positive with the ``k`` hardest candidates that pass the margin.

    Args:
        collection: the collection's name (kept in each example).
        qid: the query id.
        positives: the positives that make examples (already limited to ``positives_per_query``).
        relevant: every document judged relevant for the query (never a negative), besides ``positives``.
        candidates: mined documents (any order); documents missing from ``fused`` are ignored.
        fused: fused teacher score of every candidate and positive.
        k: negatives per example.
        margin: TopK-PercPos fraction (drop a candidate above ``margin`` x the positive's score); None keeps every candidate.
    """
    pos = set(positives) | set(relevant)
    pool = sorted((d for d in set(candidates) if d not in pos and d in fused), key=lambda d: (-fused[d], d))
    examples, kept, dropped, short = [], 0, 0, 0
    for p in positives:
        if p not in fused:
            short += 1
            continue
        if margin is None:
            allowed = pool
        else:
            ceiling = margin * fused[p]
            allowed = [d for d in pool if fused[d] <= ceiling]
            dropped += len(pool) - len(allowed)
        if len(allowed) < k:
            short += 1
            continue
        negs = tuple(allowed[:k])
        kept += k
        examples.append(Example(collection, qid, p, negs, (fused[p], *(fused[d] for d in negs))))
    return Selection(tuple(examples), kept, dropped, short)
