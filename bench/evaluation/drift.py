"""Drift between a model and a variant of it (another backend, another precision) on one dataset.

Two measures, both from what runs leave behind:

- **vector drift**: the cosine between each document's two vectors, read from the embedding cache entries the two
  runs used (their ``corpus_cache_key``, recorded in the run's cost), summarised as min, p1, p5, median;
- **ranking drift**: per query, the overlap of the two top-k lists (``|A ∩ B| / k``) and Kendall's tau-b between the
  two rankings of the union of both top-k lists (a document missing from a list ranks tied just below its k-th),
  averaged over the queries both runs answered; read from the stored rankings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

PERCENTILES = (1, 5, 50)


@dataclass(frozen=True)
class VectorDrift:
    """Per-document cosine between two encodings of the same corpus."""

    documents: int
    min: float
    p1: float
    p5: float
    median: float
    below_one: int
    """Documents whose two vectors differ (cosine < 1 - 1e-6)."""


@dataclass(frozen=True)
class RankDrift:
    """Agreement of two runs' top-k lists, averaged over the queries both answered."""

    k: int
    queries: int
    overlap: float
    kendall_tau: float


def vector_drift(ids_a: Sequence[str], a: np.ndarray, ids_b: Sequence[str], b: np.ndarray) -> VectorDrift:
    """Cosine between the rows of ``a`` and ``b`` with the same id (rows matched by id, not position).

    Raises:
        ValueError: the two entries do not hold the same documents, or their dimensions differ.
    """
    if set(ids_a) != set(ids_b) or len(ids_a) != len(ids_b):
        raise ValueError("the two embedding entries hold different documents; drift compares encodings of the same corpus")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"vectors of shape {a.shape} and {b.shape} cannot be compared; drift compares variants of one model")
    row_b = {d: i for i, d in enumerate(ids_b)}
    xa = np.asarray(a, dtype=np.float64)
    xb = np.asarray(b, dtype=np.float64)[[row_b[d] for d in ids_a]]
    na, nb = np.linalg.norm(xa, axis=1), np.linalg.norm(xb, axis=1)
    cos = np.einsum("ij,ij->i", xa, xb) / np.maximum(na * nb, 1e-30)
    p1, p5, median = np.percentile(cos, PERCENTILES)
    return VectorDrift(
        documents=len(cos),
        min=float(cos.min()),
        p1=float(p1),
        p5=float(p5),
        median=float(median),
        below_one=int((cos < 1 - 1e-6).sum()),
    )


def kendall_tau_topk(top_a: Sequence[str], top_b: Sequence[str]) -> float:
    """Kendall's tau-b of two top-k lists over their union; a document absent from a list ranks ``len(list)`` there."""
    from scipy.stats import kendalltau

    union = list(dict.fromkeys([*top_a, *top_b]))
    if len(union) < 2:
        return 1.0
    pos_a, pos_b = {d: i for i, d in enumerate(top_a)}, {d: i for i, d in enumerate(top_b)}
    ra = [pos_a.get(d, len(top_a)) for d in union]
    rb = [pos_b.get(d, len(top_b)) for d in union]
    tau = kendalltau(ra, rb).statistic
    return float(tau) if np.isfinite(tau) else 0.0


def rank_drift(top_a: Mapping[str, Sequence[str]], top_b: Mapping[str, Sequence[str]], k: int) -> RankDrift:
    """Mean overlap@k and mean Kendall tau over the queries in both ``top_a`` and ``top_b`` (qid -> docids, best first)."""
    qids = sorted(set(top_a) & set(top_b))
    if not qids:
        return RankDrift(k=k, queries=0, overlap=float("nan"), kendall_tau=float("nan"))
    overlaps, taus = [], []
    for q in qids:
        a, b = list(top_a[q])[:k], list(top_b[q])[:k]
        overlaps.append(len(set(a) & set(b)) / k)
        taus.append(kendall_tau_topk(a, b))
    return RankDrift(k=k, queries=len(qids), overlap=float(np.mean(overlaps)), kendall_tau=float(np.mean(taus)))
